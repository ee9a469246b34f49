// Starts bench/fast_server.mjs in a child process (127.0.0.1, a free port) and resolves
// { child, url } once it prints "LISTENING <port>"; rejects if it exits first or is not listening
// after 15 s. The scripts of bench/ that need one fast server share this.
import { spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/** `flags`: fast_server.mjs's own (e.g. ["--sse"], ["--delay-ms", "40"]). */
export function startFastServer(flags = []) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(here, "fast_server.mjs"), "--port", "0", ...flags], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error("fast_server: not listening after 15 s"));
    }, 15000);
    child.stdout.on("data", (d) => {
      out += d;
      const m = /LISTENING (\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: `http://127.0.0.1:${m[1]}/mcp` });
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`fast_server exited ${code}`));
    });
  });
}
