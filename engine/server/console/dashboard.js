// The program dashboard: Audit.GetProgramMetrics for the chosen months,
// split and group (one request, by_month for the charts over time), and the
// tier distribution (one more request, split by tier).
'use strict';

const Dashboard = (() => {
  const $ = (id) => document.getElementById(id);
  const LOW_RATE_PERCENT = 20;  // the program documents' warning line

  // "2026-05" -> the first instant of that month, or of the month after.
  function monthStart(month, next) {
    if (!month) return '';
    const [year, m] = month.split('-').map(Number);
    return new Date(Date.UTC(year, m - 1 + (next ? 1 : 0), 1)).toISOString().replace('.000Z', 'Z');
  }

  function thisMonth(offset) {
    const now = new Date();
    const date = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + offset, 1));
    return date.toISOString().slice(0, 7);
  }

  function query(grouping) {
    return {from_time: monthStart($('metrics-from').value),
            to_time: monthStart($('metrics-to').value, true),
            grouping, by_month: 'true'};
  }

  const rowOf = (rows, group) => (rows || []).find((r) => r.group === group) || {};

  function fillGroups(rows) {
    const select = $('metrics-group');
    const chosen = select.value;
    const groups = (rows || []).map((r) => r.group);
    if (!groups.length) groups.push('all');
    select.replaceChildren(...groups.map((g) => Ui.el('option', {value: g, text: g})));
    if (groups.includes(chosen)) select.value = chosen;
  }

  function showFigures(metrics, group) {
    const row = rowOf(metrics.rows, group);
    const s = metrics.surveys || {};
    const cur = metrics.currency;
    $('metrics-scope').textContent = group === 'all' ? 'the program' : group;
    Ui.figures($('figures'), [
      ['Points issued', Ui.count(row.pointsIssued), 'pointsIssued'],
      ['Points redeemed', Ui.count(row.pointsRedeemed), 'pointsRedeemed'],
      ['Points expired', Ui.count(row.pointsExpired), 'pointsExpired'],
      ['Redemption rate', Ui.percent(row.redemptionRateBp), 'redemptionRateBp'],
      ['Breakage (points)', Ui.count(row.breakagePoints), 'breakagePoints'],
      ['Purchases', Ui.count(row.purchases), 'purchases'],
      ['Revenue', Ui.money(row.revenueMinor, cur), 'revenueMinor'],
      ['Active members', Ui.count(row.activeMembers), 'activeMembers'],
      ['Repeat members', Ui.count(row.repeatMembers), 'repeatMembers'],
      ['Repeat rate', Ui.percent(row.repeatRateBp), 'repeatRateBp'],
      ['Outstanding liability (program)', Ui.money(metrics.outstandingLiabilityMinor, cur),
       'outstandingLiabilityMinor'],
      ['Outstanding points (program)', Ui.count(metrics.outstandingPoints), 'outstandingPoints'],
      ['Members (program)', Ui.count(metrics.members), 'members'],
      ['Churn rate', Ui.percent(metrics.churnRateBp), 'churnRateBp'],
      ['CLV', Ui.money(metrics.clvMinor, cur), 'clvMinor'],
      ['NPS', String(s.nps || 0), 'nps'],
      ['CSAT', Ui.percent(s.csatBp), 'csatBp'],
      ['CES (mean effort)', Ui.centi(s.cesMeanCenti), 'cesMeanCenti'],
    ]);
    if (row.redemptionWarning) {
      $('figures').append(Ui.el('dd', {class: 'error', text: 'Redemption under 20%: the program is not working'}));
    }
  }

  function showMonths(metrics, group) {
    const months = metrics.months || [];
    const labels = months.map((m) => m.month);
    const rows = months.map((m) => rowOf(m.rows, group));
    Charts.series('chart-redemption', labels, [
      ['Redemption rate (%)', rows.map((r) => Number(r.redemptionRateBp || 0) / 100)],
      ['20% line', labels.map(() => LOW_RATE_PERCENT)]], {lines: true, dashed: [1]});
    Ui.table($('table-redemption'), ['Month', 'Issued', 'Redeemed', 'Rate'],
      rows.map((r, i) => [labels[i], Ui.count(r.pointsIssued), Ui.count(r.pointsRedeemed),
                          Ui.percent(r.redemptionRateBp)]));
    Charts.series('chart-points', labels, [
      ['Issued', rows.map((r) => Number(r.pointsIssued || 0))],
      ['Redeemed', rows.map((r) => Number(r.pointsRedeemed || 0))],
      ['Expired', rows.map((r) => Number(r.pointsExpired || 0))]]);
    Ui.table($('table-points'), ['Month', 'Issued', 'Redeemed', 'Expired', 'Active members'],
      rows.map((r, i) => [labels[i], Ui.count(r.pointsIssued), Ui.count(r.pointsRedeemed),
                          Ui.count(r.pointsExpired), Ui.count(r.activeMembers)]));
    const surveys = months.map((m) => m.surveys || {});
    Charts.series('chart-surveys', labels, [
      ['NPS', surveys.map((s) => Number(s.nps || 0))],
      ['CSAT (%)', surveys.map((s) => Number(s.csatBp || 0) / 100)],
      ['CES (1-7)', surveys.map((s) => Number(s.cesMeanCenti || 0) / 100)]], {lines: true});
    Ui.table($('table-surveys'), ['Month', 'NPS', 'CSAT', 'CES', 'Answers (NPS)'],
      surveys.map((s, i) => [labels[i], String(s.nps || 0), Ui.percent(s.csatBp),
                             Ui.centi(s.cesMeanCenti), Ui.count(s.npsAnswers)]));
  }

  function showCohorts(metrics) {
    const cohorts = metrics.cohorts || [];
    const labels = cohorts.map((c) => c.issueMonth);
    Charts.series('chart-cohorts', labels, [
      ['Redeemed', cohorts.map((c) => Number(c.redeemed))],
      ['Expired', cohorts.map((c) => Number(c.expired))],
      ['Outstanding', cohorts.map((c) => Number(c.outstanding))]], {stacked: true});
    Ui.table($('table-cohorts'), ['Issued in', 'Issued', 'Redeemed', 'Expired', 'Outstanding'],
      cohorts.map((c) => [c.issueMonth, Ui.count(c.issued), Ui.count(c.redeemed),
                          Ui.count(c.expired), Ui.count(c.outstanding)]));
  }

  async function showTiers() {
    const metrics = await Api.get('/v1/program/metrics', query('METRICS_GROUPING_TIER'));
    const rows = metrics.rows || [];
    Charts.doughnut('chart-tiers', rows.map((r) => r.group.replace(/^tier:/, '')),
                    rows.map((r) => Number(r.activeMembers || 0)));
    Ui.table($('table-tiers'), ['Tier', 'Active members', 'Purchases', 'Points issued'],
      rows.map((r) => [r.group.replace(/^tier:/, ''), Ui.count(r.activeMembers),
                       Ui.count(r.purchases), Ui.count(r.pointsIssued)]));
  }

  async function load() {
    const error = $('metrics-error');
    Ui.show(error, '');
    try {
      const metrics = await Api.get('/v1/program/metrics', query($('metrics-split').value));
      fillGroups(metrics.rows);
      const group = $('metrics-group').value;
      showFigures(metrics, group);
      showMonths(metrics, group);
      showCohorts(metrics);
      await showTiers();
      document.body.dataset.dashboard = 'ready';
    } catch (e) {
      Ui.failure(error, e);
    }
  }

  function init() {
    $('metrics-from').value = thisMonth(-11);
    $('metrics-to').value = thisMonth(0);
    $('metrics-filter').addEventListener('submit', (event) => { event.preventDefault(); load(); });
    $('metrics-split').addEventListener('change', () => { $('metrics-group').value = ''; load(); });
    $('metrics-group').addEventListener('change', load);
  }

  return {init, show: load};
})();
