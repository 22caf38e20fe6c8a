// Loads the compiled addon (build/Release/udp_batch.node, made by `node-gyp rebuild` when npm
// installs this package). Throws when it was not built; skiff's ClusterDNS then uses node:dgram.
'use strict';
module.exports = require('./build/Release/udp_batch.node');
