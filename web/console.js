// The staff console (channels/console.py): what carries data-refresh="<url>" is fetched again
// every few seconds (the lists, a conversation's transcript), so new students and new messages
// appear without a reload. The server sends the fragment already escaped.
(function () {
  'use strict';
  var EVERY_MS = 2000;
  function refresh(node) {
    fetch(node.getAttribute('data-refresh'), { credentials: 'same-origin', cache: 'no-store' })
      .then(function (answer) {
        if (answer.status === 401) { window.location.reload(); return null; }
        return answer.ok ? answer.text() : null;
      })
      .then(function (fragment) {
        if (fragment === null || fragment === node.innerHTML) return;
        var atEnd = window.innerHeight + window.scrollY >= document.body.scrollHeight - 40;
        node.innerHTML = fragment;
        if (atEnd && node.id === 'hc-transcript') window.scrollTo(0, document.body.scrollHeight);
      })
      .catch(function () {});
  }
  document.addEventListener('DOMContentLoaded', function () {
    Array.prototype.forEach.call(document.querySelectorAll('[data-refresh]'), function (node) {
      setInterval(function () { refresh(node); }, EVERY_MS);
    });
  });
})();
