#!/usr/bin/env node
// Builds web/dist/helpdesk-widget.js, the one file a web page loads to get the chat widget:
// socket.io-client (from node_modules, installed by `npm ci` from package-lock.json), the widget's
// CSS and the widget's code (web/src/). No bundler: socket.io-client's UMD build is given a local
// `module` object, so it neither sets a global `io` nor meets a page's own AMD loader.
'use strict';
const fs = require('fs');
const path = require('path');

const root = path.resolve(__dirname, '..');
const read = (file) => fs.readFileSync(path.join(root, file), 'utf8');

const socketIo = read('node_modules/socket.io-client/dist/socket.io.min.js')
  .replace(/\n\/\/# sourceMappingURL=.*\s*$/, '\n');
const { version } = JSON.parse(read('node_modules/socket.io-client/package.json'));
const css = read('web/src/widget.css');
const widget = read('web/src/widget.js');

const bundle = `/*! 服务台聊天小部件 (helpdesk chat widget), built by \`make\` from web/src; includes socket.io-client ${version} (MIT). */
(function () {
var module = { exports: {} };
var exports = module.exports;
var define;
${socketIo}
var io = module.exports;
var WIDGET_CSS = ${JSON.stringify(css)};
${widget}
})();
`;

const out = path.join(root, 'web', 'dist', 'helpdesk-widget.js');
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(`${out}.tmp`, bundle);
fs.renameSync(`${out}.tmp`, out);
console.log(`built ${path.relative(root, out)} (${bundle.length} bytes, socket.io-client ${version})`);
