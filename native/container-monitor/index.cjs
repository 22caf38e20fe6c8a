// The path of the compiled monitor (build/Release/skiff-monitor, made by `node-gyp rebuild` when
// npm installs this package), or undefined when it was not built; skiff's runtime then uses conmon.
'use strict';
const { existsSync } = require('node:fs');
const { join } = require('node:path');
const path = join(__dirname, 'build', 'Release', 'skiff-monitor');
module.exports = { path: existsSync(path) ? path : undefined };
