'use strict';
// Runs inside each tesseract.js worker thread, in place of tesseract.js's own Node worker script (which it then
// loads). The WASM core prints Leptonica/Tesseract diagnostics ("Detected 25 diacritics", "Error in
// boxClipToRectangle", ...) with console.*; in a worker thread those reach the parent's stdout/stderr and would
// mix into `memeguard ocr` output and the bot's logs. Silence them here; results and errors still travel as messages.
const quiet = () => {};
console.log = quiet;
console.info = quiet;
console.warn = quiet;
console.error = quiet;
console.debug = quiet;
require('tesseract.js/src/worker-script/node/index.js');
