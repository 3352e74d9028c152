// `node --import` this: it runs in the main thread and, since Node hands a worker its parent's
// execArgv, in every pthread worker emscripten starts. Each installs the package and shares its
// ledger ("main", "pthread N"). WMP_PKG: the package's Node entry, as a file URL.
import { isMainThread, threadId } from "node:worker_threads";

const { install, ledger } = await import(process.env.WMP_PKG);
install();
ledger.share({ name: isMainThread ? "main" : `pthread ${threadId}`, interval: 50 });
