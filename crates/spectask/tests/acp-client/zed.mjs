// Plays Zed with the official TypeScript ACP SDK: drives `spectask acp` over stdio through the
// scenario of the Rust harness and prints what it saw as one JSON object on stdout.
// Usage: node zed.mjs <spectask binary> <server URL> <repository>
import { spawn } from "node:child_process";
import { Readable, Writable } from "node:stream";
import * as acp from "@agentclientprotocol/sdk";

const [spectask, server, repo] = process.argv.slice(2);
const child = spawn(spectask, ["acp", "--server", server], { cwd: repo, stdio: ["pipe", "pipe", "inherit"] });
const exited = new Promise((resolve) => child.on("exit", (code) => resolve(code)));

const seen = [];
let waiting = null;
class Zed {
  async requestPermission(params) {
    seen.push({ request: "session/request_permission", sessionId: params.sessionId });
    return { outcome: { outcome: "selected", optionId: "allow" } };
  }
  async sessionUpdate(params) {
    const update = params.update;
    seen.push({ update: update.sessionUpdate, text: update.content?.text ?? null, sessionId: params.sessionId });
    if (waiting && update.content?.text === waiting.text) waiting.resolve();
  }
  async readTextFile(params) {
    seen.push({ request: "fs/read_text_file", sessionId: params.sessionId });
    return { content: "unsaved buffer text" };
  }
  async writeTextFile(params) {
    seen.push({ request: "fs/write_text_file", sessionId: params.sessionId });
    return {};
  }
}

const stream = acp.ndJsonStream(Writable.toWeb(child.stdin), Readable.toWeb(child.stdout));
const connection = new acp.ClientSideConnection(() => new Zed(), stream);
const result = {};
result.init = await connection.initialize({
  protocolVersion: acp.PROTOCOL_VERSION,
  clientCapabilities: { fs: { readTextFile: true, writeTextFile: true }, terminal: false },
  clientInfo: { name: "zed", version: "0.200.0" },
});
const { sessionId } = await connection.newSession({ cwd: repo, mcpServers: [] });
result.sessionId = sessionId;
const second = await connection.newSession({ cwd: repo, mcpServers: [] });
result.secondSessionId = second.sessionId;

const worked = await connection.prompt({ sessionId, prompt: [{ type: "text", text: "please work" }] });
result.stopReason = worked.stopReason;

const slowStarted = new Promise((resolve) => (waiting = { text: "working slowly", resolve }));
const slow = connection.prompt({ sessionId, prompt: [{ type: "text", text: "take your time" }] });
await slowStarted;
await connection.cancel({ sessionId });
result.cancelledStopReason = (await slow).stopReason;

result.listed = (await connection.listSessions({ cwd: repo })).sessions.map((s) => s.sessionId);
await connection.unstable_closeSession({ sessionId: second.sessionId });
try {
  await connection.newSession({ cwd: "/", mcpServers: [] });
  result.outsideError = null;
} catch (error) {
  result.outsideError = { code: error.code, message: error.message };
}
result.seen = seen;
child.stdin.end();
result.exitCode = await exited;
process.stdout.write(JSON.stringify(result) + "\n");
