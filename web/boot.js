// Starts the app. A file of its own, not an inline script, so that the
// Content-Security-Policy can refuse every inline script (api/src/http/headers.rs).
import init from "/careledger_web.js";
init("/careledger_web_bg.wasm");
