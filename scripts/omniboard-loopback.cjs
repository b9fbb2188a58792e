// Preloaded into Omniboard by the compatibility tests (NODE_OPTIONS=--require this file).
// Omniboard 2.16.1 listens on every interface (`app.listen(PORT)`, no host option); this
// makes a listen given only a port (and maybe a callback) listen on 127.0.0.1 alone.
'use strict';

const net = require('net');

const listen = net.Server.prototype.listen;
net.Server.prototype.listen = function (...args) {
  const port = args[0];
  const portOnly =
    typeof port === 'number' || (typeof port === 'string' && /^\d+$/.test(port));
  if (portOnly && (args.length === 1 || typeof args[1] === 'function')) {
    args.splice(1, 0, '127.0.0.1');
  }
  return listen.apply(this, args);
};
