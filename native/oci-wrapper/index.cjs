// The path of the compiled wrapper (build/Release/skiff-oci-wrapper, made by `node-gyp rebuild`
// when npm installs this package), or undefined when it was not built; skiff's runtime then uses
// its sh wrapper script (src/runtime/runc/runtime-wrapper.ts).
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const path = join(__dirname, 'build', 'Release', 'skiff-oci-wrapper');
module.exports = { path: existsSync(path) ? path : undefined };
