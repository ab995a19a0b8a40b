// Audit: a period's export (Audit.ExportLedger, streamed from one snapshot,
// saved as JSON lines that `loyaltyctl verify` reads, or as CSV with the
// columns of `loyaltyctl export --format csv`), the server's check of the
// chain (VerifyLedger) and a backup (CreateBackup).
'use strict';

const Audit = (() => {
  const $ = (id) => document.getElementById(id);
  const CSV_COLUMNS = ['sequence', 'record_time', 'effective_time', 'kind', 'member_id', 'order_id',
    'partner_id', 'store_id', 'terminal_id', 'request_id', 'rules_version', 'account', 'asset',
    'amount', 'description', 'previous_hash_hex', 'hash_hex'];

  function hex(base64) {
    return Array.from(atob(base64 || ''), (c) => c.charCodeAt(0).toString(16).padStart(2, '0')).join('');
  }
  function quote(value) {
    const text = String(value === undefined ? '' : value);
    return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  }

  // One row per posting (one for an entry without any), as loyaltyctl writes them.
  function csvRows(entry) {
    const kind = String(entry.kind || '').replace(/^ENTRY_KIND_/, '').toLowerCase();
    const row = (p) => [entry.sequence, entry.recordTime || '', entry.effectiveTime || '', kind,
      entry.memberId, entry.orderId, entry.partnerId, entry.storeId, entry.terminalId,
      entry.requestId, entry.rulesVersion, p ? p.account : '', p ? p.asset : '', p ? p.amount : '',
      entry.description, hex(entry.previousHash), hex(entry.hash)].map(quote).join(',') + '\n';
    const postings = entry.postings || [];
    return postings.length ? postings.map(row) : [row(null)];
  }

  async function exportPeriod(event) {
    event.preventDefault();
    const from = $('export-from').value, to = $('export-to').value;
    const format = $('export-format').value;
    const progress = $('export-progress'), status = $('export-status');
    const parts = format === 'csv' ? [`${CSV_COLUMNS.join(',')}\n`] : [];
    let entries = 0;
    progress.hidden = false;
    progress.value = 0;
    $('export-link').hidden = true;
    Ui.show(status, 'Exporting...');
    try {
      await Api.stream('GET', '/v1/ledger:export', {
        query: {from_time: Ui.dayStart(from), to_time: Ui.dayStart(to, true)},
        onLine: (page) => {
          for (const entry of page.entries || []) {
            if (format === 'csv') parts.push(...csvRows(entry));
            else parts.push(`${JSON.stringify(entry)}\n`);
            entries++;
            progress.value = Number(entry.sequence);
          }
          progress.max = Math.max(1, Number(page.snapshotSequence || 1));
        }});
      progress.value = progress.max;
      const name = `ledger-${from || 'start'}-${to || 'now'}.${format}`;
      Ui.download($('export-link'), parts, name,
                  format === 'csv' ? 'text/csv' : 'application/x-ndjson');
      Ui.show(status, `${Ui.count(entries)} entries exported`);
      $('export-link').click();
    } catch (e) {
      Ui.failure(status, e);
    }
  }

  async function verify() {
    const status = $('verify-status');
    Ui.show(status, 'Verifying...');
    try {
      const answer = await Api.post('/v1/ledger:verify', {});
      Ui.show(status, answer.ok
        ? `OK: ${Ui.count(answer.entriesChecked)} entries and ${Ui.count(answer.membersChecked)} members checked, head #${answer.headSequence}`
        : `PROBLEM: ${answer.problem}`, !answer.ok);
    } catch (e) {
      Ui.failure(status, e);
    }
  }

  async function backup(event) {
    event.preventDefault();
    const status = $('backup-status');
    Ui.show(status, 'Backing up...');
    try {
      const answer = await Api.post('/v1/backups', {backupDir: $('backup-dir').value});
      Ui.show(status, `Backup ${answer.backupId}: entries up to #${answer.sequence}, ` +
                      `${Ui.count(answer.sizeBytes)} bytes`);
    } catch (e) {
      Ui.failure(status, e);
    }
  }

  function init() {
    const today = new Date().toISOString().slice(0, 10);
    $('export-from').value = `${today.slice(0, 7)}-01`;
    $('export-to').value = today;
    $('export-form').addEventListener('submit', exportPeriod);
    $('verify-run').addEventListener('click', verify);
    $('backup-form').addEventListener('submit', backup);
  }

  return {init, show: () => {}};
})();
