// Partners: the coalition's partners (Program.ListPartners), suspended or
// resumed with UpsertPartner, and a period's settlement
// (Audit.SettlePartners), saved as CSV.
'use strict';

const Partners = (() => {
  const $ = (id) => document.getElementById(id);
  let settlement = null;

  function status(partner) { return String(partner.status || '').replace(/^PARTNER_STATUS_/, '').toLowerCase(); }

  async function setStatus(partner, next) {
    try {
      await Api.put(`/v1/partners/${encodeURIComponent(partner.partnerId)}`, {
        requestId: Api.requestId('partner'), name: partner.name, status: next,
        fundedShareBp: partner.fundedShareBp});
      Ui.show($('partner-status'), `${partner.partnerId}: ${next.replace(/^PARTNER_STATUS_/, '').toLowerCase()}`);
      await show();
    } catch (e) {
      Ui.failure($('partner-status'), e);
    }
  }

  async function show() {
    if (!Session.may('ListPartners')) return;
    const answer = await Api.get('/v1/partners');
    const canChange = Session.may('UpsertPartner');
    Ui.table($('partner-list'), ['Partner', 'Name', 'Status', 'Funds', ''],
      (answer.partners || []).map((p) => {
        const suspended = status(p) === 'suspended';
        const next = suspended ? 'PARTNER_STATUS_ACTIVE' : 'PARTNER_STATUS_SUSPENDED';
        const button = canChange ? Ui.el('button', {type: 'button', onclick: () => setStatus(p, next)},
                                         suspended ? 'Resume' : 'Suspend') : '';
        return [p.partnerId, p.name || '-', status(p), Ui.percent(p.fundedShareBp), button];
      }));
  }

  function csv(answer) {
    const quote = (v) => (/[",\r\n]/.test(String(v)) ? `"${String(v).replace(/"/g, '""')}"` : String(v));
    const rows = [['partner_id', 'name', 'points_issued', 'points_burned', 'funded_minor',
                   'claims_in_minor', 'claims_out_minor', 'net_minor', 'currency']];
    for (const p of answer.parties || []) {
      rows.push([p.partnerId, p.name, p.pointsIssued, p.pointsBurned, p.fundedMinor,
                 p.claimsInMinor, p.claimsOutMinor, p.netMinor, answer.currency]);
    }
    return rows.map((r) => `${r.map(quote).join(',')}\n`);
  }

  async function settle(event) {
    event.preventDefault();
    const from = $('settle-from').value, to = $('settle-to').value;
    try {
      settlement = await Api.post('/v1/partners:settle',
                                  {fromTime: Ui.dayStart(from), toTime: Ui.dayStart(to, true)});
      const cur = settlement.currency;
      Ui.table($('settle-parties'), ['Party', 'Points issued', 'Points burned', 'Owed to it', 'It owes', 'Net'],
        (settlement.parties || []).map((p) => [p.partnerId || 'operator', Ui.count(p.pointsIssued),
          Ui.count(p.pointsBurned), Ui.money(p.claimsInMinor, cur), Ui.money(p.claimsOutMinor, cur),
          Ui.money(p.netMinor, cur)]));
      Ui.table($('settle-claims'), ['Owes', 'To', 'Points', 'Value'],
        (settlement.claims || []).map((c) => [c.fromPartnerId || 'operator', c.toPartnerId || 'operator',
          Ui.count(c.points), Ui.money(c.valueMinor, cur)]));
      Ui.show($('settle-status'), `${Ui.count(settlement.entriesRead)} entries read`);
      $('settle-download').disabled = false;
    } catch (e) {
      Ui.failure($('settle-status'), e);
    }
  }

  function download() {
    if (!settlement) return;
    const link = Ui.el('a', {hidden: ''});
    document.body.append(link);
    Ui.download(link, csv(settlement),
                `settlement-${$('settle-from').value}-${$('settle-to').value}.csv`, 'text/csv');
    link.click();
    link.remove();
  }

  function init() {
    $('settle-form').addEventListener('submit', settle);
    $('settle-download').addEventListener('click', download);
    const today = new Date().toISOString().slice(0, 10);
    $('settle-from').value = `${today.slice(0, 7)}-01`;
    $('settle-to').value = today;
  }

  return {init, show};
})();
