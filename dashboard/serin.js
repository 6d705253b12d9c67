// Serin's dashboard: the operator's own API, read and followed live.
// Every piece of data reaches the page through textContent or an attribute
// set by name: never as markup, so a commit message cannot become script.
'use strict';
(function () {
  const TOKEN_KEY = 'serin.token';
  const COMMANDS = ['promote', 'abort', 'pause', 'resume', 'retry'];
  const SVG = 'http://www.w3.org/2000/svg';
  const MOVING = new Set(['Progressing', 'Waiting', 'WaitingPromotion', 'Promoting', 'Finalising', 'Initializing']);

  const state = {
    rollouts: [], sources: [], workloads: [],
    histories: {},          // rollout key → history entries
    weights: {},            // rollout key → [{t, w}] seen by this page
    events: [],             // live events, newest last
    lastEventID: null,
    readError: null,
    results: {},            // rollout key → {ok, text} of the last command
    filter: '', onlyProblems: false,
  };

  // ---- DOM helpers -------------------------------------------------------

  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    setAttrs(node, attrs);
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function svg(tag, attrs, ...children) {
    const node = document.createElementNS(SVG, tag);
    setAttrs(node, attrs);
    for (const child of children.flat(Infinity)) {
      if (child === null || child === undefined) continue;
      node.append(child instanceof Node ? child : String(child));
    }
    return node;
  }
  function setAttrs(node, attrs) {
    for (const [name, value] of Object.entries(attrs || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name.startsWith('on')) throw new Error('no inline handlers');
      node.setAttribute(name, value === true ? '' : String(value));
    }
  }
  const $ = (id) => document.getElementById(id);

  // ---- formatting --------------------------------------------------------

  function short(revision) {
    if (!revision) return '—';
    const at = revision.indexOf('@sha1:');
    if (at >= 0) return revision.slice(0, at + 6) + revision.slice(at + 6, at + 18);
    return revision.length > 12 ? revision.slice(0, 12) : revision;
  }
  function age(seconds) {
    if (seconds === null || seconds === undefined) return '—';
    let d = Math.max(0, Date.now() / 1000 - seconds);
    if (d < 60) return Math.round(d) + 's ago';
    if (d < 3600) return Math.round(d / 60) + 'm ago';
    if (d < 86400) return Math.round(d / 3600) + 'h ago';
    return Math.round(d / 86400) + 'd ago';
  }
  function when(seconds) {
    return seconds ? new Date(seconds * 1000).toISOString().replace('T', ' ').replace(/\.\d+Z$/, 'Z') : '';
  }
  // Conditions carry RFC 3339 times, as Kubernetes writes them; the rest seconds since 1970.
  function epoch(time) { return typeof time === 'string' ? Date.parse(time) / 1000 : time; }
  function clock(seconds) { return new Date(seconds * 1000).toISOString().slice(11, 19); }
  // With several clusters the same Canary runs in each: cluster/namespace/name.
  function key(r) { return (r.cluster ? r.cluster + '/' : '') + r.namespace + '/' + r.name; }
  function phaseBadge(phase) { return el('span', { class: 'phase phase-' + phase, 'data-phase': phase }, phase); }
  function conditionBadge(condition) {
    if (!condition) return el('span', { class: 'phase status-Unknown' }, 'Unknown');
    return el('span', { class: 'phase status-' + condition.status }, condition.status === 'True' ? condition.type : 'Not ' + condition.type);
  }
  function ready(conditions) { return (conditions || []).find((c) => c.type === 'Ready'); }
  function number(value) {
    if (value === null || value === undefined) return '—';
    if (Math.abs(value) >= 100) return value.toFixed(0);
    if (value !== 0 && Math.abs(value) < 1) return String(Number(value.toPrecision(2)));
    return String(Math.round(value * 100) / 100);
  }
  function weightBar(weight) {
    const w = Math.max(0, Math.min(100, weight || 0));
    return el('span', { class: 'weight' },
      svg('svg', { viewBox: '0 0 100 10', preserveAspectRatio: 'none', role: 'img', 'aria-label': w + '%' },
        svg('rect', { class: 'track', x: 0, y: 0, width: 100, height: 10, rx: 2 }),
        svg('rect', { class: 'fill', x: 0, y: 0, width: w, height: 10, rx: 2 })),
      el('span', { class: 'weight-value' }, w + '%'));
  }
  // A staged source's waves, left to right: released (green), the one its
  // revision is in (blue; red when halted, amber when paused or baking),
  // and those still to come (grey), each naming its clusters.
  function waveBar(s) {
    const w = s.waves;
    if (!w) return '—';
    const current = w.wave || 0;
    const held = w.hold ? (/^waiting for serin promote|^baking/.test(w.hold) ? 'paused' : 'halted') : null;
    return el('span', { class: 'waves', 'data-wave': String(current), 'data-hold': held || '', title: w.hold || '' },
      w.waves.map((clusters, i) => {
        const n = i + 1;
        const stateName = n < current ? 'released' : n === current ? (held || 'current') : 'pending';
        return el('span', { class: 'wave wave-' + stateName, 'data-state': stateName },
          clusters.map((c) => el('span', { class: 'wave-cluster', title: c + ': ' + short((w.revisions || {})[c]) }, c)));
      }));
  }
  function rolloutFailing(r) { return r.phase === 'Failed'; }
  // A check failed but the release goes on: below the threshold.
  function rolloutWarning(r) { return r.phase !== 'Failed' && r.failedChecks > 0; }
  function rowClass(r) { return rolloutFailing(r) ? 'bad' : rolloutWarning(r) ? 'warn' : null; }
  function sourceFailing(s) { const c = ready(s.conditions); return !c || c.status !== 'True' || (s.errors || []).length > 0; }
  function matches(...texts) {
    const f = state.filter.trim().toLowerCase();
    return !f || texts.some((t) => t && String(t).toLowerCase().includes(f));
  }

  // ---- API ---------------------------------------------------------------

  function token() { return sessionStorage.getItem(TOKEN_KEY) || ''; }
  function headers(extra) {
    const h = Object.assign({ Accept: 'application/json' }, extra || {});
    if (token()) h.Authorization = 'Bearer ' + token();
    return h;
  }
  async function get(path) {
    const response = await fetch(path, { headers: headers(), cache: 'no-store', credentials: 'omit' });
    const body = await response.json().catch(() => ({}));
    if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { status: response.status });
    return body;
  }
  function rolloutPath(r) {
    return (r.cluster ? '/api/v1/clusters/' + encodeURIComponent(r.cluster) : '/api/v1') +
      '/namespaces/' + encodeURIComponent(r.namespace) + '/rollouts/' + encodeURIComponent(r.name);
  }

  let refreshing = null, again = false, lastRefresh = 0;
  // One refresh at a time; a burst of events asks for one more after it.
  function refresh() {
    if (refreshing) { again = true; return refreshing; }
    lastRefresh = Date.now();
    refreshing = (async () => {
      try {
        const [rollouts, sources, workloads] = await Promise.all(
          [get('/api/v1/rollouts'), get('/api/v1/sources'), get('/api/v1/workloads')]);
        state.rollouts = rollouts; state.sources = sources; state.workloads = workloads; state.readError = null;
        const now = Date.now() / 1000;
        for (const r of rollouts) { sampleEvents(r); sample(key(r), now, r.canaryWeight); }
        const route = parseRoute();
        if (route.view === 'rollout') {
          const r = findRollout(route);
          if (r) state.histories[key(r)] = await get(rolloutPath(r) + '/history').catch(() => state.histories[key(r)] || []);
        }
      } catch (error) {
        state.readError = error;
      } finally {
        refreshing = null;
        render();
        if (again) { again = false; refresh(); }
      }
    })();
    return refreshing;
  }
  // Weight over time: what this page saw, and what the events said
  // ("analysing at 40%"), in time order.
  function sample(k, t, w) {
    const list = state.weights[k] || (state.weights[k] = []);
    let i = list.length;
    while (i > 0 && list[i - 1].t > t) i--;
    if (i > 0 && list[i - 1].t === t) list[i - 1].w = w; else list.splice(i, 0, { t, w });
    if (list.length > 500) list.splice(0, list.length - 500);
  }
  function sampleEvents(r) {
    for (const e of r.events || []) {
      const m = /(?:weight|analysing at) (\d+)%/.exec(e.reason || '');
      if (m) sample(key(r), e.time, Number(m[1]));
    }
  }

  // The event stream through fetch rather than EventSource: it can carry the
  // token when reads need one, and reconnects with Last-Event-ID on our terms.
  async function follow() {
    let delay = 500, firstConnection = true, connections = 0;
    for (;;) {
      try {
        const h = headers({ Accept: 'text/event-stream' });
        if (state.lastEventID !== null) h['Last-Event-ID'] = String(state.lastEventID);
        const response = await fetch('/api/v1/events', { headers: h, cache: 'no-store', credentials: 'omit' });
        if (!response.ok || !response.body) {
          const body = await response.json().catch(() => ({}));
          throw Object.assign(new Error(body.error || response.statusText), { status: response.status });
        }
        setLive('live');
        $('live').dataset.connections = String(++connections);
        delay = 500;
        if (!firstConnection) refresh(); // the operator may have restarted: read everything again
        firstConnection = false;
        await readStream(response.body);
      } catch (error) {
        if (error && error.status === 401) { state.readError = error; render(); }
      }
      setLive('reconnecting');
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, 5000);
    }
  }
  async function readStream(body) {
    const reader = body.getReader(), decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += decoder.decode(value, { stream: true }).replace(/\r\n?/g, '\n');
      let end;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let id = null, data = '', event = 'message';
        for (const line of block.split('\n')) {
          if (line.startsWith('id:')) id = line.slice(3).trim();
          else if (line.startsWith('event:')) event = line.slice(6).trim();
          else if (line.startsWith('data:')) data += line.slice(5).trimStart();
        }
        if (id !== null) state.lastEventID = id;
        // Entries the server no longer kept for this reader: read everything again.
        if (event === 'gap') { refresh(); continue; }
        if (data) { try { received(JSON.parse(data)); } catch (e) { /* not an entry */ } }
      }
    }
  }
  let pending = null;
  function received(entry) {
    state.events.push(entry);
    if (state.events.length > 2000) state.events.splice(0, state.events.length - 2000);
    // Many entries arrive at once when the stream replays: one refresh for them all.
    clearTimeout(pending);
    pending = setTimeout(refresh, 60);
  }
  function setLive(s) {
    const live = $('live');
    live.dataset.state = s;
    live.textContent = s === 'live' ? 'live' : 'reconnecting…';
  }

  async function command(r, name) {
    const k = key(r);
    state.results[k] = { ok: true, text: name + ': sending…' };
    render();
    try {
      const response = await fetch(rolloutPath(r) + '/' + name, {
        method: 'POST', cache: 'no-store', credentials: 'omit',
        headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify({ by: 'dashboard' }),
      });
      const body = await response.json().catch(() => ({}));
      state.results[k] = response.ok
        ? { ok: true, text: body.accepted || name + ' accepted' }
        : { ok: false, text: name + ' refused (' + response.status + '): ' + (body.error || response.statusText) };
    } catch (error) {
      state.results[k] = { ok: false, text: name + ' failed: ' + error.message };
    }
    render();
    refresh();
  }

  // ---- routes ------------------------------------------------------------

  function parseRoute() {
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'rollouts' && parts.length === 3) return { view: 'rollout', cluster: null, namespace: parts[1], name: parts[2] };
    if (parts[0] === 'rollouts' && parts.length === 4) return { view: 'rollout', cluster: parts[1], namespace: parts[2], name: parts[3] };
    if (parts[0] === 'sources' && parts.length === 2) return { view: 'source', name: parts[1] };
    return { view: 'overview' };
  }
  function findRollout(route) {
    return state.rollouts.find((r) => (r.cluster || null) === route.cluster && r.namespace === route.namespace && r.name === route.name);
  }
  function rolloutLink(r) { return '#/rollouts/' + key(r).split('/').map(encodeURIComponent).join('/'); }

  let shownView = null, firstData = false;
  function render() {
    const route = parseRoute();
    const banner = $('banner');
    if (state.readError) {
      banner.hidden = false;
      banner.textContent = state.readError.status === 401
        ? 'Reading needs the API token (api.dashboardAuth: token): ' + state.readError.message
        : 'Cannot read the API: ' + state.readError.message;
    } else {
      banner.hidden = true;
    }
    const view = $('view');
    const viewKey = JSON.stringify(route);
    if (shownView !== viewKey) { view.replaceChildren(); shownView = viewKey; }
    if (route.view === 'rollout') renderRollout(view, route);
    else if (route.view === 'source') renderSource(view, route);
    else renderOverview(view);
    if (!firstData && state.rollouts.length) { firstData = true; performance.mark('serin-first-data'); }
  }

  // ---- overview ----------------------------------------------------------

  function renderOverview(view) {
    if (!$('filter')) {
      const filter = el('input', { type: 'search', id: 'filter', placeholder: 'filter by name, namespace, phase, message…', value: state.filter });
      filter.addEventListener('input', () => { state.filter = filter.value; render(); });
      const problems = el('input', { type: 'checkbox', id: 'only-problems' });
      problems.checked = state.onlyProblems;
      problems.addEventListener('change', () => { state.onlyProblems = problems.checked; render(); });
      view.append(el('div', { class: 'toolbar' }, filter, el('label', {}, problems, ' only problems')),
        el('div', { id: 'overview-body' }));
    }
    const rollouts = state.rollouts.filter((r) => (!state.onlyProblems || rowClass(r)) &&
      matches(r.cluster, r.namespace, r.name, r.phase, r.message, r.primaryRevision, r.canaryRevision));
    const sources = state.sources.filter((s) => (!state.onlyProblems || sourceFailing(s)) &&
      matches(s.name, s.url, s.revision, s.commit && s.commit.subject, s.commit && s.commit.author, (ready(s.conditions) || {}).message));
    const workloads = state.workloads.filter((w) => (!state.onlyProblems || (ready(w.conditions) || {}).status !== 'True') &&
      matches(w.cluster, w.namespace, w.name, w.kind, w.source, (ready(w.conditions) || {}).message));

    const rolloutRows = rollouts.map((r) => {
      const evaluations = r.evaluations || [];
      const newest = evaluations.length ? evaluations[evaluations.length - 1].time : null;
      const tick = evaluations.filter((e) => e.time === newest).sort((a, b) => (a.verdict === 'fail' ? 0 : 1) - (b.verdict === 'fail' ? 0 : 1));
      return el('tr', { class: rowClass(r), 'data-rollout': key(r) },
        el('td', {}, el('a', { href: rolloutLink(r) }, key(r))),
        el('td', {}, phaseBadge(r.phase)),
        el('td', { class: 'rev' }, short(r.primaryRevision)),
        el('td', { class: 'rev' }, short(r.canaryRevision)),
        el('td', { class: 'nowrap' }, weightBar(r.canaryWeight)),
        el('td', { class: 'step' }, r.step + '/' + r.stepCount),
        el('td', { class: 'last-check' }, tick.length ? [tick.slice(0, 3).map((e) =>
          el('div', { class: 'verdict-' + e.verdict }, e.metric + ' ' + number(e.value) + ' ' + e.verdict)),
          el('div', { class: 'muted' }, age(newest))] : '—'),
        el('td', { class: 'message' }, r.message));
    });
    const staged = state.sources.some((s) => s.waves);
    const sourceRows = sources.map((s) => {
      const c = ready(s.conditions);
      return el('tr', { class: sourceFailing(s) ? 'bad' : null, 'data-source': s.name },
        el('td', {}, el('a', { href: '#/sources/' + encodeURIComponent(s.name) }, s.name)),
        el('td', { class: 'rev' }, short(s.revision)),
        el('td', { class: 'commit-subject' }, s.commit ? s.commit.subject : '—'),
        el('td', {}, s.commit ? s.commit.author : '—'),
        el('td', { class: 'nowrap', title: s.commit ? when(s.commit.time) : '' }, s.commit ? age(s.commit.time) : '—'),
        el('td', {}, conditionBadge(c)),
        staged ? el('td', {}, waveBar(s)) : null,
        el('td', { class: 'message' }, c ? c.message : ''));
    });
    const workloadRows = workloads.map((w) => {
      const c = ready(w.conditions);
      const name = (w.cluster ? w.cluster + '/' : '') + w.namespace + '/' + w.name;
      return el('tr', { class: c && c.status === 'True' ? null : 'bad', 'data-workload': name },
        el('td', {}, name), el('td', {}, w.kind), el('td', {}, w.source),
        el('td', {}, w.readyReplicas + '/' + w.replicas),
        el('td', { class: 'rev' }, short(w.primaryRevision)), el('td', { class: 'rev' }, short(w.canaryRevision)),
        el('td', {}, conditionBadge(c)), el('td', { class: 'message' }, c ? c.message : ''));
    });
    $('overview-body').replaceChildren(
      el('h2', {}, 'Rollouts'),
      table(['Rollout', 'Phase', 'Primary', 'Canary', 'Weight', 'Step', 'Last check', 'Message'], rolloutRows, 'rollouts'),
      el('h2', {}, 'Sources'),
      table(['Source', 'Revision', 'Commit', 'Author', 'Age', 'Ready'].concat(staged ? ['Waves'] : [], ['Message']), sourceRows, 'sources'),
      el('h2', {}, 'Workloads'),
      table(['Workload', 'Kind', 'Source', 'Ready replicas', 'Primary', 'Canary', 'Ready', 'Message'], workloadRows, 'workloads'));
  }
  function table(columns, rows, id) {
    return el('table', { id },
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', {}, c)))),
      el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: columns.length, class: 'muted' }, 'none'))));
  }

  // ---- rollout detail ----------------------------------------------------

  function renderRollout(view, route) {
    const r = findRollout(route);
    if (!r) {
      view.replaceChildren(el('p', { class: 'muted' }, 'No rollout ' + (route.cluster ? route.cluster + '/' : '') + route.namespace + '/' +
        route.name + ' (yet).'));
      return;
    }
    const k = key(r);
    if (!$('rollout-body')) {
      const buttons = COMMANDS.map((name) => {
        const button = el('button', { type: 'button', 'data-command': name }, name);
        button.addEventListener('click', () => {
          const current = findRollout(route);
          if (current) command(current, name);
        });
        return button;
      });
      view.replaceChildren(
        el('p', {}, el('a', { href: '#/' }, '← overview')),
        el('h1', {}, 'Rollout ', el('span', { id: 'rollout-name' }, k)),
        el('div', { class: 'actions' }, buttons, el('span', { id: 'action-result', class: 'result', role: 'status' })),
        el('div', { id: 'rollout-body' }));
    }
    const result = state.results[k], resultNode = $('action-result');
    resultNode.textContent = result ? result.text : '';
    resultNode.className = 'result' + (result ? (result.ok ? ' ok' : ' error') : '');

    const threshold = thresholdOf(r);
    // The release in progress: the events of its revision; else all the rollout's.
    const all = rolloutEvents(r), release = r.canaryRevision;
    const events = release && all.some((e) => e.revision === release) ? all.filter((e) => e.revision === release) : all;
    $('rollout-body').replaceChildren(
      el('div', { class: 'summary' },
        field('Phase', phaseBadge(r.phase)), field('Weight', weightBar(r.canaryWeight)),
        field('Step', el('span', { id: 'rollout-step' }, r.step + '/' + r.stepCount)),
        field('Primary', el('code', {}, short(r.primaryRevision))), field('Canary', el('code', {}, short(r.canaryRevision))),
        field('Failed checks', el('span', { id: 'failed-checks', class: r.failedChecks > 0 ? 'verdict-fail' : null },
          r.failedChecks + (threshold ? ' / ' + threshold : ''))),
        field('Workload', r.workload)),
      el('p', { id: 'rollout-message', class: rolloutFailing(r) ? 'result error' : rolloutWarning(r) ? 'result warn' : 'muted' }, r.message),
      el('div', { class: 'cards' },
        el('div', { class: 'card' }, el('h3', {}, 'Plan'), planList(r)),
        el('div', { class: 'card' }, el('h3', {}, 'Canary weight over time'), weightChart(state.weights[k] || [])),
        metricCharts(r)),
      el('h2', {}, 'Gates'), gates(r),
      el('h2', {}, events === all ? 'Events' : 'Events of this release'),
      table(['Time', 'Decision', 'Revision', 'Commit', 'Author', 'Reason'], events.slice().reverse().map((e) =>
        el('tr', { class: e.decision === 'Failed' || e.decision === 'error' ? 'bad' : null },
          el('td', { class: 'nowrap', title: when(e.time) }, clock(e.time)), el('td', {}, e.decision),
          el('td', { class: 'rev' }, short(e.revision)), el('td', { class: 'rev' }, short(e.commit)),
          el('td', {}, e.author || '—'), el('td', { class: 'message' }, e.reason))), 'events'),
      el('h2', {}, 'Releases'),
      table(['Revision', 'Commit', 'Author', 'Result', 'Started', 'Took'], (state.histories[k] || []).slice().reverse().map((h) =>
        el('tr', { class: h.outcome && h.outcome.failed ? 'bad' : null },
          el('td', { class: 'rev' }, short(h.revision)), el('td', { class: 'rev' }, short(h.commit)), el('td', {}, h.author || '—'),
          el('td', {}, h.result), el('td', { class: 'nowrap', title: when(h.started) }, age(h.started)),
          el('td', {}, h.finished ? Math.round(h.finished - h.started) + 's' : '—'))), 'history'));
  }
  function field(label, value) { return el('div', {}, el('span', {}, label), value); }
  function thresholdOf(r) {
    if (r.threshold) return r.threshold;
    const texts = [r.message].concat((r.events || []).map((e) => e.reason));
    for (const t of texts.reverse()) {
      const m = /check failed \((\d+)\/(\d+)\)/.exec(t || '');
      if (m) return Number(m[2]);
    }
    return null;
  }
  function rolloutEvents(r) {
    const k = key(r), seen = new Set(), list = [];
    const own = (e) => (e.rollout === r.namespace + '/' + r.name || e.rollout === r.name) && (e.cluster || null) === (r.cluster || null);
    for (const e of (r.events || []).concat(state.events.filter(own))) {
      if (seen.has(e.sequence)) continue;
      seen.add(e.sequence); list.push(e);
    }
    return list.sort((a, b) => a.sequence - b.sequence).slice(-100);
  }
  function planList(r) {
    const done = r.phase === 'Succeeded';
    return el('ol', { class: 'plan', id: 'plan' }, (r.plan || []).map((text, index) => {
      const n = index + 1;
      const s = done || n < r.step ? 'done' : n === r.step ? 'current' : 'todo';
      return el('li', { class: s, 'data-step': n }, el('span', { class: 'mark' }, s === 'done' ? '✓' : s === 'current' ? '▶' : ''), text);
    }));
  }
  function gates(r) {
    const lines = (r.plan || []).map((text, i) => ({ text, n: i + 1 })).filter((p) => /gate|confirm|manual|wait|pause/i.test(p.text));
    const waiting = ['Waiting', 'WaitingPromotion', 'Paused'].includes(r.phase);
    const items = lines.map((p) => el('li', { class: p.n === r.step && waiting ? 'current' : null },
      'step ' + p.n + ': ' + p.text, p.n === r.step && waiting ? el('strong', {}, ' — waiting: ' + r.message) : null));
    if (waiting && !lines.some((p) => p.n === r.step)) items.push(el('li', { class: 'current' }, el('strong', {}, r.phase + ': ' + r.message)));
    return items.length ? el('ul', { id: 'gates' }, items) : el('p', { id: 'gates', class: 'muted' }, 'No gate in this plan.');
  }

  // ---- charts (hand-written SVG) -----------------------------------------

  const W = 460, H = 150, L = 44, R = 10, T = 10, B = 22;
  function frame(xs, lo, hi, unit) {
    const x0 = Math.min(...xs), x1 = Math.max(...xs);
    const sx = (t) => L + (x1 === x0 ? (W - L - R) / 2 : (t - x0) / (x1 - x0) * (W - L - R));
    const sy = (v) => T + (hi === lo ? (H - T - B) / 2 : (hi - v) / (hi - lo) * (H - T - B));
    const parts = [];
    for (const v of [lo, (lo + hi) / 2, hi]) {
      parts.push(svg('line', { class: 'grid', x1: L, x2: W - R, y1: sy(v), y2: sy(v) }));
      parts.push(svg('text', { x: L - 4, y: sy(v) + 3, 'text-anchor': 'end' }, number(v) + unit));
    }
    parts.push(svg('line', { class: 'axis', x1: L, x2: W - R, y1: H - B, y2: H - B }));
    parts.push(svg('text', { x: L, y: H - 6 }, clock(x0)));
    if (x1 !== x0) parts.push(svg('text', { x: W - R, y: H - 6, 'text-anchor': 'end' }, clock(x1)));
    return { sx, sy, parts };
  }
  function weightChart(samples) {
    if (!samples.length) return el('p', { class: 'muted' }, 'no samples yet');
    const { sx, sy, parts } = frame(samples.map((s) => s.t), 0, 100, '%');
    // A step line: the weight holds until the next change.
    const points = [], changes = [];
    samples.forEach((s, i) => {
      if (i > 0) points.push(sx(s.t) + ',' + sy(samples[i - 1].w));
      points.push(sx(s.t) + ',' + sy(s.w));
      if (i === 0 || samples[i - 1].w !== s.w) changes.push(s);
    });
    const last = samples[samples.length - 1];
    return svg('svg', { class: 'chart', id: 'weight-chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': 'canary weight over time' },
      parts, svg('polyline', { class: 'series', points: points.join(' ') }),
      changes.map((s) => svg('circle', { class: 'pass', cx: sx(s.t), cy: sy(s.w), r: 2.5, 'data-weight': s.w },
        svg('title', {}, clock(s.t) + ' ' + s.w + '%'))),
      svg('text', { x: sx(last.t) - 4, y: sy(last.w) - 6, 'text-anchor': 'end', class: 'weight-label' }, last.w + '%'));
  }
  function metricCharts(r) {
    const byMetric = new Map();
    for (const e of r.evaluations || []) {
      if (!byMetric.has(e.metric)) byMetric.set(e.metric, []);
      byMetric.get(e.metric).push(e);
    }
    return Array.from(byMetric, ([metric, list]) => el('div', { class: 'card metric', 'data-metric': metric },
      el('h3', {}, metric, ' ', el('span', { class: 'muted' }, rangeText(list[list.length - 1]))), metricChart(list)));
  }
  function rangeText(e) {
    if (e.min !== null && e.min !== undefined && e.max !== null && e.max !== undefined) return number(e.min) + ' … ' + number(e.max);
    if (e.min !== null && e.min !== undefined) return '≥ ' + number(e.min);
    if (e.max !== null && e.max !== undefined) return '≤ ' + number(e.max);
    return 'no threshold';
  }
  function metricChart(list) {
    const values = list.map((e) => e.value).filter((v) => v !== null && v !== undefined);
    const bounds = values.concat(list.flatMap((e) => [e.min, e.max]).filter((v) => v !== null && v !== undefined));
    let lo = Math.min(...bounds), hi = Math.max(...bounds);
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    const pad = (hi - lo || Math.abs(hi) || 1) * 0.15;
    // Rates, durations and ratios are not negative: no axis below zero for them.
    lo = lo >= 0 ? Math.max(0, lo - pad) : lo - pad;
    hi += pad;
    const { sx, sy, parts } = frame(list.map((e) => e.time), lo, hi, '');
    const last = list[list.length - 1];
    const min = last.min ?? null, max = last.max ?? null;
    const bandTop = sy(max !== null ? max : hi), bandBottom = sy(min !== null ? min : lo);
    const shapes = [svg('rect', { class: 'band', x: L, y: bandTop, width: W - L - R, height: Math.max(0, bandBottom - bandTop) })];
    for (const [bound, label] of [[min, 'min'], [max, 'max']]) {
      if (bound === null) continue;
      shapes.push(svg('line', { class: 'threshold', 'data-threshold': label, x1: L, x2: W - R, y1: sy(bound), y2: sy(bound) }));
      shapes.push(svg('text', { x: W - R - 2, y: sy(bound) - 3, 'text-anchor': 'end' }, label + ' ' + number(bound)));
    }
    const withValue = list.filter((e) => e.value !== null && e.value !== undefined);
    const line = withValue.map((e) => sx(e.time) + ',' + sy(e.value)).join(' ');
    const dots = list.map((e) => {
      const v = e.value !== null && e.value !== undefined ? e.value : (min !== null ? min : lo);
      const c = e.verdict === 'pass' ? 'pass' : e.verdict === 'fail' ? 'fail' : 'other';
      return svg('circle', { class: c, cx: sx(e.time), cy: sy(v), r: 3.5, 'data-verdict': e.verdict },
        svg('title', {}, clock(e.time) + ' ' + e.verdict + ': ' + e.message));
    });
    return svg('svg', { class: 'chart', viewBox: '0 0 ' + W + ' ' + H, role: 'img' }, shapes, parts,
      line ? svg('polyline', { class: 'series', points: line }) : null, dots);
  }

  // ---- source detail -----------------------------------------------------

  function renderSource(view, route) {
    const s = state.sources.find((x) => x.name === route.name);
    if (!s) { view.replaceChildren(el('p', { class: 'muted' }, 'No source ' + route.name + ' (yet).')); return; }
    const errors = (s.errors || []).map((line) => {
      // file:line:column: message — the place in bold, the rest as it is.
      const m = /^(.+?:\d+:\d+):\s*(.*)$/.exec(line);
      return el('li', {}, m ? [el('code', { class: 'where' }, m[1]), ' ', m[2]] : line);
    });
    view.replaceChildren(...[
      el('p', {}, el('a', { href: '#/' }, '← overview')),
      el('h1', {}, 'Source ', s.name),
      el('div', { class: 'summary' },
        field('URL', el('code', {}, s.url)), field('Ref', s.ref), field('Path', s.path || '.'),
        field('Revision', el('code', {}, short(s.revision))),
        field('Commit', s.commit ? s.commit.subject + ' — ' + s.commit.author : '—'),
        field('Last attempted', el('code', {}, short(s.lastAttemptedRevision))),
        field('Last sync', age(s.lastSyncTime))),
      el('h2', {}, 'Conditions'),
      table(['Type', 'Status', 'Reason', 'Message', 'Since', 'Revision'], (s.conditions || []).map((c) =>
        el('tr', { class: (c.type === 'Ready' && c.status !== 'True') || (c.type === 'Stalled' && c.status === 'True') ? 'bad' : null },
          el('td', {}, c.type), el('td', {}, c.status), el('td', {}, c.reason), el('td', { class: 'message' }, c.message),
          el('td', { class: 'nowrap', title: when(epoch(c.lastTransitionTime)) }, age(epoch(c.lastTransitionTime))),
          el('td', { class: 'rev' }, short(c.observedRevision)))), 'conditions'),
      s.waves ? [el('h2', {}, 'Waves'), el('div', { class: 'actions' }, waveBar(s), waveAction(s),
        el('span', { id: 'wave-result', class: 'result' + (state.results['source:' + s.name] ? (state.results['source:' + s.name].ok ? ' ok' : ' error') : ''),
          role: 'status' }, state.results['source:' + s.name] ? state.results['source:' + s.name].text : '')),
        el('p', { id: 'wave-hold', class: s.waves.hold ? 'result warn' : 'muted' }, s.waves.hold || 'not held')] : null,
      s.targets ? [el('h2', {}, 'Clusters'), table(['Cluster', 'Wave', 'Revision', 'State'],
        (s.waves ? s.waves.waves.flat() : Object.keys(s.targets).sort()).map((name) => {
          const t = s.targets[name], held = s.waves && s.waves.revisions[name] ? s.waves.revisions[name] : t && t.revision;
          const wave = s.waves ? s.waves.waves.findIndex((list) => list.includes(name)) + 1 : null;
          const failed = t && t.revision === held && t.failure;
          return el('tr', { class: failed ? 'bad' : null, 'data-cluster': name }, el('td', {}, name), el('td', {}, wave ? String(wave) : '—'),
            el('td', { class: 'rev' }, short(held)),
            el('td', { class: 'message' }, !t ? '—' : failed ? 'failed: ' + t.failure : t.revision !== held ? 'applied' : t.applied ? 'applied' : 'applying'));
        }), 'clusters')] : null,
      errors.length ? [el('h2', {}, 'Why the newest commit was refused'), el('ul', { class: 'errors', id: 'errors' }, errors)] : null,
      (s.warnings || []).length ? [el('h2', {}, 'Warnings'), el('ul', {}, s.warnings.map((w) => el('li', {}, w)))] : null,
    ].flat().filter(Boolean));
  }

  // `serin promote SOURCE`, from the page: only while the next wave waits for it.
  function waveAction(s) {
    if (!s.waves || !s.waves.hold || !/^waiting for serin promote/.test(s.waves.hold)) return null;
    const button = el('button', { type: 'button', id: 'promote-wave' }, 'promote to the next wave');
    button.addEventListener('click', async () => {
      const k = 'source:' + s.name;
      try {
        const response = await fetch('/api/v1/sources/' + encodeURIComponent(s.name) + '/promote', {
          method: 'POST', cache: 'no-store', credentials: 'omit',
          headers: headers({ 'Content-Type': 'application/json' }), body: JSON.stringify({ by: 'dashboard' }),
        });
        const body = await response.json().catch(() => ({}));
        state.results[k] = response.ok ? { ok: true, text: body.accepted || 'promoted' }
          : { ok: false, text: 'promote refused (' + response.status + '): ' + (body.error || response.statusText) };
      } catch (error) {
        state.results[k] = { ok: false, text: 'promote failed: ' + error.message };
      }
      render();
      refresh();
    });
    return button;
  }

  // ---- start -------------------------------------------------------------

  function showToken() {
    const has = !!token();
    $('token-form').hidden = has;
    $('token-state').hidden = !has;
  }
  document.addEventListener('DOMContentLoaded', () => {
    $('token-form').addEventListener('submit', (event) => {
      event.preventDefault();
      const input = $('token');
      if (input.value.trim()) sessionStorage.setItem(TOKEN_KEY, input.value.trim());
      input.value = '';
      showToken();
      refresh();
    });
    $('forget-token').addEventListener('click', () => { sessionStorage.removeItem(TOKEN_KEY); showToken(); });
    window.addEventListener('hashchange', () => { render(); refresh(); });
    showToken();
    render();
    refresh();
    follow();
    // The log has an event per phase, not per weight step or metric value:
    // while a release moves, read again every second (as `serin get --watch`);
    // otherwise every 15 s, for ages and sources, which change without an event.
    setInterval(() => {
      const moving = state.rollouts.some((r) => MOVING.has(r.phase));
      if (moving || Date.now() - lastRefresh > 15000) refresh();
    }, 1000);
  });
})();
