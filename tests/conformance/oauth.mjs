// OAuth client for the conformance auth scenarios, plugged into McpPool through tokenProvider.
export function createOAuthTokenProvider() {
  return async () => {
    throw new Error("OAuth not implemented yet");
  };
}
