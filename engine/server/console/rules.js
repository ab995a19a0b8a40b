// Rules: the stored versions (Program.GetRules), and a candidate file
// pasted or opened here: validated with its problems marked on their lines
// (ValidateRules), compared with the active version, simulated over a past
// period (SimulateRules, streamed) and loaded with an activation time
// (LoadRules).
'use strict';

const Rules = (() => {
  const $ = (id) => document.getElementById(id);
  let activeYaml = '';

  function lines() { return $('rules-yaml').value.split('\n'); }

  // The gutter: one number per line, marked where a problem points.
  function drawGutter(marked) {
    const gutter = $('rules-gutter');
    gutter.replaceChildren(...lines().map((_, i) => {
      const problem = marked && marked.get(i + 1);
      return Ui.el('span', problem ? {class: 'bad', 'data-line': i + 1, title: problem}
                                   : {'data-line': i + 1}, String(i + 1));
    }));
    gutter.scrollTop = $('rules-yaml').scrollTop;
  }

  // Selects line `n` of the editor.
  function goToLine(n) {
    const text = $('rules-yaml').value;
    let start = 0;
    for (let i = 1; i < n; i++) start = text.indexOf('\n', start) + 1;
    const end = text.indexOf('\n', start);
    const editor = $('rules-yaml');
    editor.focus();
    editor.setSelectionRange(start, end < 0 ? text.length : end);
  }

  // "file.yaml:12: what is wrong" -> {line: 12, text}; other problems keep
  // no line.
  function parseProblem(text) {
    const match = /^(?:INVALID_RULES: )?[^\s:]+:(\d+): (.*)$/.exec(text.trim());
    return match ? {line: Number(match[1]), text: match[2]} : {line: 0, text: text.trim()};
  }

  function showProblems(texts) {
    const problems = texts.filter((t) => t.trim()).map(parseProblem);
    const marked = new Map(problems.filter((p) => p.line).map((p) => [p.line, p.text]));
    drawGutter(marked);
    $('rules-problems').replaceChildren(...problems.map((p) => Ui.el('li',
      {'data-line': p.line || ''},
      p.line ? Ui.el('button', {type: 'button', class: 'link', text: `line ${p.line}`,
                                onclick: () => goToLine(p.line)}) : '',
      p.line ? `: ${p.text}` : p.text)));
    const first = problems.find((p) => p.line);
    if (first) goToLine(first.line);  // the editor scrolls to it
    return problems.length;
  }

  async function showVersions() {
    const rules = await Api.get('/v1/rules', {include_rule_sets: 'true'});
    $('rules-active').textContent = rules.activeVersion || '-';
    const versions = rules.versions || [];
    const active = versions.find((v) => v.version === rules.activeVersion);
    activeYaml = active ? active.yaml : '';
    Ui.table($('rules-versions'), ['Version', 'Active from', 'Loaded', 'File'],
      versions.slice().reverse().map((v) => [
        v.version + (v.version === rules.activeVersion ? ' (active)' : ''),
        Ui.time(v.activationTime), Ui.time(v.loadTime), v.sourceName || '-']));
    return rules;
  }

  function candidate() {
    return {fileName: $('rules-file-name').value || 'rules.yaml', yaml: $('rules-yaml').value};
  }

  async function validate() {
    const status = $('rules-status');
    try {
      const answer = await Api.post('/v1/rules:validate', candidate());
      const count = showProblems(answer.problems || []);
      Ui.show(status, count ? `${count} problem(s): nothing loaded`
                            : `Valid: it would be version ${answer.version}`, count > 0);
    } catch (e) {
      Ui.failure(status, e);
    }
  }

  async function load() {
    const status = $('rules-status');
    const activation = $('rules-activation').value;
    const body = Object.assign({requestId: Api.requestId('rules')}, candidate());
    if (activation) body.activationTime = new Date(activation).toISOString();
    try {
      const answer = await Api.post('/v1/rules', body);
      showProblems([]);
      Ui.show(status, `Loaded version ${answer.version.version}, active from ` +
                      Ui.time(answer.version.activationTime));
      await showVersions();
    } catch (e) {
      if (e.reason === 'INVALID_RULES') showProblems(e.message.split(/\n|; /));
      Ui.failure(status, e);
    }
  }

  // A line diff (longest common subsequence) of the active file and the
  // candidate: "  " same, "- " only active, "+ " only candidate.
  function diff(a, b) {
    const n = a.length, m = b.length;
    const lcs = Array.from({length: n + 1}, () => new Uint32Array(m + 1));
    for (let i = n - 1; i >= 0; i--) {
      for (let j = m - 1; j >= 0; j--) {
        lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1]);
      }
    }
    const out = [];
    let i = 0, j = 0;
    while (i < n || j < m) {
      if (i < n && j < m && a[i] === b[j]) { out.push(['same', `  ${a[i]}`]); i++; j++; }
      else if (j < m && (i === n || lcs[i][j + 1] >= lcs[i + 1][j])) out.push(['add', `+ ${b[j++]}`]);
      else out.push(['del', `- ${a[i++]}`]);
    }
    return out;
  }

  // The start file (loyaltyd --rules) is stored without its text.
  function noActiveText() {
    if (activeYaml) return false;
    Ui.show($('rules-status'), 'The active version was loaded from a file at start and its text ' +
                               'is not stored: open that file to start from it.', true);
    return true;
  }

  function showDiff() {
    if (noActiveText()) return;
    const out = $('rules-diff-out');
    const changes = diff(activeYaml.split('\n'), lines());
    out.replaceChildren(...changes.map(([kind, text]) => Ui.el('span', {class: kind}, `${text}\n`)));
    out.hidden = false;
  }

  function showReport(report) {
    const r = report.recorded || {}, c = report.candidate || {};
    const cur = report.currency;
    const rows = [
      ['Sales', 'sales', Ui.count], ['Refunds', 'refunds', Ui.count],
      ['Refused by the candidate', 'operationsRefused', Ui.count],
      ['Points issued', 'pointsIssued', Ui.count], ['Points burned', 'pointsBurned', Ui.count],
      ['Points expired', 'pointsExpired', Ui.count],
      ['Value of points issued', 'pointsIssuedValueMinor', (v) => Ui.money(v, cur)],
      ['Discount', 'discountMinor', (v) => Ui.money(v, cur)],
      ['Cashback issued', 'cashbackIssuedMinor', (v) => Ui.money(v, cur)],
      ['Redemption rate', 'redemptionRateBp', Ui.percent],
      ['Liability (points)', 'liabilityPoints', Ui.count],
      ['Liability', 'liabilityMinor', (v) => Ui.money(v, cur)]];
    Ui.table($('sim-report'), ['Figure', 'Recorded', 'Candidate'],
      rows.map(([label, field, format]) => [label, format(r[field]), format(c[field])]));
    Ui.show($('sim-status'), `Sales priced differently: ${Ui.count(report.salesPricedDifferently)}; ` +
                             `members whose tier differs: ${Ui.count(report.membersTierDiffers)}`);
  }

  async function simulate() {
    const progress = $('sim-progress');
    const status = $('sim-status');
    const body = Object.assign(candidate(), {
      fromTime: Ui.dayStart($('sim-from').value), toTime: Ui.dayStart($('sim-to').value, true)});
    progress.hidden = false;
    progress.value = 0;
    Ui.show(status, 'Replaying...');
    try {
      await Api.stream('POST', '/v1/rules:simulate', {body, onLine: (line) => {
        progress.max = Math.max(1, Number(line.entriesTotal || 1));
        progress.value = Number(line.entriesReplayed || 0);
        if (line.done) showReport(line.report || {});
      }});
    } catch (e) {
      if (e.reason === 'INVALID_RULES') showProblems(e.message.split(/\n|; /));
      Ui.failure(status, e);
    }
    progress.hidden = true;
  }

  function init() {
    const editor = $('rules-yaml');
    editor.addEventListener('input', () => drawGutter());
    editor.addEventListener('scroll', () => { $('rules-gutter').scrollTop = editor.scrollTop; });
    $('rules-upload').addEventListener('change', async (event) => {
      const file = event.target.files[0];
      if (!file) return;
      editor.value = await file.text();
      $('rules-file-name').value = file.name;
      showProblems([]);
    });
    $('rules-copy-active').addEventListener('click', () => {
      if (noActiveText()) return;
      editor.value = activeYaml;
      showProblems([]);
    });
    $('rules-validate').addEventListener('click', validate);
    $('rules-diff').addEventListener('click', showDiff);
    $('rules-load').addEventListener('click', load);
    $('sim-run').addEventListener('click', simulate);
    const today = new Date().toISOString().slice(0, 10);
    $('sim-from').value = `${today.slice(0, 7)}-01`;
    $('sim-to').value = today;
    drawGutter();
  }

  return {init, show: showVersions, activeYaml: () => activeYaml};
})();
