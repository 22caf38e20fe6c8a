// Loads the compiled addon (build/Release/pod_netns.node, made by `node-gyp rebuild` when npm
// installs this package). Throws when it was not built; skiff's pod network then runs
// `unshare … ip -batch -`.
'use strict';
module.exports = require('./build/Release/pod_netns.node');
