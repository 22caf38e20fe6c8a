// Loads the compiled addon (build/Release/process_spawn.node, made by `node-gyp rebuild` when npm
// installs this package). Throws when it was not built; skiff's process helper then starts
// programs with node:child_process.
'use strict';
module.exports = require('./build/Release/process_spawn.node');
