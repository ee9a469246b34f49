// Preloaded into the conformance CLI (node --import): its test servers call listen(0) with no host,
// which binds every interface. This makes a TCP listen without a host bind 127.0.0.1 instead, at the
// step where Node picks the unspecified address (Server#_listen2), so listen stays synchronous and
// server.address() is ready at once, as the suite expects. The suite's URLs say "localhost", which
// resolves to 127.0.0.1.
import net from "node:net";

const listen2 = net.Server.prototype._listen2;
if (typeof listen2 !== "function") throw new Error("loopback.mjs: this Node has no net.Server#_listen2");
net.Server.prototype._listen2 = function (address, port, addressType, backlog, fd, flags) {
  if (address == null && (fd == null || fd < 0)) {
    address = "127.0.0.1";
    addressType = 4;
  }
  return listen2.call(this, address, port, addressType, backlog, fd, flags);
};
