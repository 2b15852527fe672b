// pst-pim.js: read the Contacts and Tasks folders of a PST with the npm
// package pst-extractor (a reader mailferry did not write) and print what
// it finds as JSON, for tests/lib/pst_pab_check.py.
// Usage: node pst-pim.js FILE.pst
'use strict';
const { PSTFile } = require('pst-extractor');

function d(x) { return x ? x.getTime() / 1000 : null; }

function item(m) {
  const out = { klass: m.messageClass, subject: m.subject, displayName: m.displayName,
    importance: m.importance, sensitivity: m.sensitivity, body: m.body };
  if (m.messageClass === 'IPM.Contact') {
    Object.assign(out, { givenName: m.givenName, surname: m.surname, fileUnder: m.fileUnder,
      email1DisplayName: m.email1DisplayName, email1AddressType: m.email1AddressType,
      email1EmailAddress: m.email1EmailAddress, companyName: m.companyName,
      businessTelephoneNumber: m.businessTelephoneNumber,
      mobileTelephoneNumber: m.mobileTelephoneNumber, note: m.note });
  }
  if (m.messageClass === 'IPM.Task') {
    const rp = m.isTaskRecurring ? m.taskRecurrencePattern : null;
    Object.assign(out, { taskStatus: m.taskStatus, percentComplete: m.percentComplete,
      complete: m.isTaskComplete, start: d(m.taskStartDate), due: d(m.taskDueDate),
      recurring: m.isTaskRecurring, pattern: rp ? rp.toJSON() : null });
  }
  return out;
}

const pst = new PSTFile(process.argv[2]);
const out = {};
for (const top of pst.getRootFolder().getSubFolders()) {
  if (!top.displayName.startsWith('Top of')) continue;
  for (const f of top.getSubFolders()) {
    if (f.displayName !== 'Contacts' && f.displayName !== 'Tasks') continue;
    const items = [];
    if (f.contentCount > 0) {
      let m = f.getNextChild();
      while (m) { items.push(item(m)); m = f.getNextChild(); }
    }
    out[f.displayName] = { count: f.contentCount, containerClass: f.containerClass, items };
  }
}
process.stdout.write(JSON.stringify(out) + '\n');
