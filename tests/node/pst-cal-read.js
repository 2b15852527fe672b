// pst-cal-read.js: the appointments of every folder of a PST as the npm
// package pst-extractor (a reader mailferry did not write) reads them, as
// JSON for tests/lib/pst_cal_check.py.  Usage: node pst-cal-read.js FILE.pst
'use strict';
const { PSTFile } = require('pst-extractor');

function when(d) {
  return d ? d.getTime() / 1000 : null;
}

function appt(m) {
  const rs = m.recurrenceStructure;
  const out = {
    klass: m.messageClass,
    subject: m.subject,
    body: m.body,
    start: when(m.startTime),
    end: when(m.endTime),
    duration: m.duration,
    busy: m.busyStatus,
    location: m.location,
    allday: m.subType,
    recurring: m.isRecurring,
    recurrenceType: m.recurrenceType,
    recur: rs ? Buffer.from(rs).toString('hex') : null,
    attachments: [],
  };
  for (let i = 0; i < m.numberOfAttachments; i++) {
    const a = m.getAttachment(i);
    const e = { method: a.attachMethod };
    // (the getter may be called once: it moves the attachment's subnodes)
    const em = a.attachMethod === 5 ? a.embeddedPSTMessage : null;
    if (em) {
      e.klass = em.messageClass;
      e.subject = em.subject;
      e.start = em.startTime ? when(em.startTime) : null;
      e.end = em.endTime ? when(em.endTime) : null;
      e.body = em.body;
    }
    out.attachments.push(e);
  }
  return out;
}

function walk(folder, path, out) {
  const f = { path, klass: folder.containerClass, count: folder.contentCount, items: [] };
  if (folder.contentCount > 0) {
    let m = folder.getNextChild();
    while (m) {
      f.items.push(appt(m));
      m = folder.getNextChild();
    }
  }
  out.push(f);
  if (folder.hasSubfolders)
    for (const s of folder.getSubFolders()) walk(s, path.concat([s.displayName]), out);
}

const pst = new PSTFile(process.argv[2]);
const root = pst.getRootFolder();
const folders = [];
for (const s of root.getSubFolders()) if (s.displayName.startsWith('Top of')) walk(s, [], folders);
process.stdout.write(JSON.stringify({ folders }) + '\n');
