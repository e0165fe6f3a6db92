// The dispatcher console: a map of the needs and their candidates, and live updates — every
// workflow notification for this dispatcher reloads the list in place (the page works without
// this script: every action is a form).
(function () {
  'use strict';
  var list = document.getElementById('needs');
  var map = null;

  function points() {
    var el = document.getElementById('console-data');
    try { return JSON.parse((el && el.textContent) || '[]'); } catch (e) { return []; }
  }

  function geojson(pts) {
    return {type: 'FeatureCollection', features: pts.map(function (p) {
      return {type: 'Feature', geometry: {type: 'Point', coordinates: [p.lon, p.lat]}, properties: p};
    })};
  }

  function drawMap() {
    var el = document.getElementById('console-map');
    if (!window.maplibregl || !el) { if (el) el.hidden = true; return; }
    var pts = points();
    try {
      map = new maplibregl.Map({container: el, style: {version: 8, sources: {}, layers: [
        {id: 'bg', type: 'background', paint: {'background-color': '#f4f1ec'}}]}, center: [113.44, 29.48], zoom: 9,
        attributionControl: false});
    } catch (e) { el.hidden = true; return; }
    window.civmapConsole = {map: map};
    map.on('load', function () {
      map.addSource('pts', {type: 'geojson', data: geojson(pts)});
      map.addLayer({id: 'candidates', type: 'circle', source: 'pts', filter: ['==', ['get', 'kind'], 'candidate'],
        paint: {'circle-radius': 5, 'circle-color': '#1f6fb2', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1}});
      map.addLayer({id: 'needs', type: 'circle', source: 'pts', filter: ['==', ['get', 'kind'], 'need'],
        paint: {'circle-radius': 8, 'circle-color': '#b3261e', 'circle-stroke-color': '#fff', 'circle-stroke-width': 2}});
      fit(pts);
      map.on('click', 'needs', function (e) {
        var id = e.features[0].properties.need;
        var card = document.getElementById('need-' + id);
        if (card) { card.scrollIntoView({behavior: 'smooth', block: 'center'}); focus(id); }
      });
    });
  }

  function fit(pts) {
    if (!map || !pts.length) return;
    var b = new maplibregl.LngLatBounds();
    pts.forEach(function (p) { b.extend([p.lon, p.lat]); });
    map.fitBounds(b, {padding: 40, maxZoom: 14, duration: 0});
  }

  function focus(id) {
    if (!map || !map.getSource('pts')) return;
    var pts = points().filter(function (p) { return p.need === id; });
    map.getSource('pts').setData(geojson(pts));
    fit(pts);
  }

  list.addEventListener('click', function (e) {
    var card = e.target.closest && e.target.closest('[data-need]');
    if (card && e.target.tagName !== 'BUTTON' && e.target.tagName !== 'INPUT') focus(Number(card.dataset.need));
  });

  var latest = 0; // the last reload asked for: an older answer arriving late is dropped

  function reload() {
    var el = document.activeElement;
    if (el && list.contains(el) && /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName)) {
      pending = setTimeout(reload, 1000); // do not wipe what the dispatcher is filling in
      return;
    }
    var u = new URL(location.href);
    u.searchParams.set('partial', '1');
    u.searchParams.delete('done');
    var n = ++latest;
    fetch(u, {credentials: 'same-origin'}).then(function (r) { return r.ok ? r.text() : null; }).then(function (html) {
      if (html === null || n !== latest) return;
      // Reopen the same forms (by card and summary) after the list is replaced.
      var open = Array.prototype.map.call(list.querySelectorAll('details[open]'), function (d) {
        return [d.closest('[data-need]').id, d.querySelector('summary').textContent];
      });
      list.innerHTML = html;
      open.forEach(function (o) {
        var c = document.getElementById(o[0]);
        Array.prototype.forEach.call(c ? c.querySelectorAll('details') : [], function (d) {
          if (d.querySelector('summary').textContent === o[1]) d.open = true;
        });
      });
      if (map && map.getSource('pts')) map.getSource('pts').setData(geojson(points()));
      document.dispatchEvent(new CustomEvent('civmap:reloaded'));
    });
  }

  if (window.EventSource) {
    var es = new EventSource('/api/v1/me/events');
    var live = document.getElementById('live');
    var pending = null;
    es.onopen = function () { if (live) live.hidden = false; };
    es.onerror = function () { if (live) live.hidden = true; };
    ['submit', 'order', 'reject', 'dispatch', 'accept', 'decline', 'start', 'finish', 'rate', 'cancel', 'escalate'].forEach(function (t) {
      es.addEventListener(t, function () { clearTimeout(pending); pending = setTimeout(reload, 150); });
    });
  }
  drawMap();
})();
