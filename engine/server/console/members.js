// Members: one member's profile and balance (Members.GetMember: tier
// progress, points expiring), history (ListEntries, a page at a time) and a
// goodwill adjustment with a reason code from the active rule set's list
// (Program.AdjustBalance). Each panel shows only for a role that may call
// its RPC.
'use strict';

const Members = (() => {
  const $ = (id) => document.getElementById(id);
  let historyOf = '';
  let nextPage = '';

  function kind(name) { return String(name || '').replace(/^ENTRY_KIND_/, '').toLowerCase(); }

  // The points an entry moved on the member's own accounts.
  function pointsMoved(entry, member) {
    const prefix = `member/${member}/points/`;
    return (entry.postings || []).filter((p) => p.account.startsWith(prefix))
      .reduce((sum, p) => sum + BigInt(p.amount), 0n);
  }

  function showBalance(answer) {
    const m = answer.member || {}, b = answer.balance || {}, t = b.tierProgress || {};
    const cashback = (b.cashbackMinor || []).map((c) => Ui.money(c.amountMinor, c.currency)).join(', ');
    const measure = t.currency ? (v) => Ui.money(v, t.currency) : Ui.count;
    Ui.figures($('member-balance'), [
      ['Member', `${m.memberId}${m.displayName ? ` (${m.displayName})` : ''}`, 'memberId'],
      ['Points available', Ui.count(b.pointsAvailable), 'pointsAvailable'],
      ['Points pending', Ui.count(b.pointsPending), 'pointsPending'],
      ['Cashback', cashback || '-', 'cashback'],
      ['Tier', b.tier || '-', 'tier'],
      ['Tier progress', t.nextTier ? `${measure(t.qualifying)} of ${measure(t.nextThreshold)} ` +
        `${t.measure} for ${t.nextTier} (${measure(t.missing)} to go)` : (t.tier ? 'top tier' : '-'),
       'tierProgress'],
      ['Expiring within 30 days', Ui.count(b.pointsExpiring30Days), 'pointsExpiring30Days'],
      ['Next expiry', Ui.time(b.nextExpiryTime), 'nextExpiryTime'],
    ]);
  }

  async function showHistory(member, more) {
    if (!Session.may('ListEntries')) return;
    const answer = await Api.get(`/v1/members/${encodeURIComponent(member)}/entries`,
                                 {page_size: 20, page_token: more ? nextPage : ''});
    const rows = (answer.entries || []).map((e) => [String(e.sequence), Ui.time(e.recordTime),
      kind(e.kind), e.orderId || e.reasonCode || e.rewardId || '-', pointsMoved(e, member).toString()]);
    const table = $('member-history');
    if (!more || historyOf !== member) Ui.table(table, ['#', 'Recorded', 'Kind', 'Order / reason', 'Points'], []);
    rows.forEach((cells) => table.tBodies[0].append(Ui.el('tr', {}, ...cells.map((c) => Ui.el('td', {text: c})))));
    historyOf = member;
    nextPage = answer.nextPageToken || '';
    $('member-more').hidden = !nextPage;
  }

  async function find(event) {
    event.preventDefault();
    const member = $('member-id').value.trim();
    Ui.show($('member-error'), '');
    try {
      showBalance(await Api.get(`/v1/members/${encodeURIComponent(member)}`));
      await showHistory(member, false);
      $('adjust-member').value = member;
    } catch (e) {
      Ui.failure($('member-error'), e);
    }
  }

  async function adjust(event) {
    event.preventDefault();
    const member = $('adjust-member').value.trim();
    try {
      const answer = await Api.post(`/v1/members/${encodeURIComponent(member)}:adjust`, {
        requestId: Api.requestId('adjust'), points: $('adjust-points').value,
        reasonCode: $('adjust-reason').value, note: $('adjust-note').value});
      Ui.show($('adjust-status'), `Adjusted (${answer.transactionId}): ` +
                                  `${Ui.count(answer.balance.pointsAvailable)} points available`);
    } catch (e) {
      Ui.failure($('adjust-status'), e);
    }
  }

  // The reason codes of the active rule set.
  async function show() {
    if (!Session.may('AdjustBalance') || !Session.may('GetRules')) return;
    const rules = await Api.get('/v1/rules', {include_rule_sets: 'true'});
    const active = (rules.versions || []).find((v) => v.version === rules.activeVersion) || {};
    // The rule set's list, or the server's defaults when it lists none.
    const listed = ((active.ruleSet || {}).adjustmentReasons) || [];
    const reasons = listed.length ? listed : Session.defaultReasons();
    $('adjust-reason').replaceChildren(...reasons.map((r) => Ui.el('option', {value: r, text: r})));
  }

  function init() {
    $('member-find').addEventListener('submit', find);
    $('member-more').addEventListener('click', () => showHistory(historyOf, true));
    $('adjust-form').addEventListener('submit', adjust);
  }

  return {init, show};
})();
