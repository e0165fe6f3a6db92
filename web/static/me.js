// The volunteer's page: reload when an order for them, their team or their area changes (the
// page works without this script).
(function () {
  'use strict';
  if (!window.EventSource) return;
  var es = new EventSource('/api/v1/me/events');
  var pending = null;
  ['dispatch', 'accept', 'decline', 'start', 'finish', 'cancel', 'escalate'].forEach(function (t) {
    es.addEventListener(t, function () {
      clearTimeout(pending);
      pending = setTimeout(function () {
        if (document.activeElement && document.activeElement.tagName === 'INPUT') return; // do not lose typing
        location.reload();
      }, 300);
    });
  });
})();
