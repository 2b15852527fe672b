// pst-read.js: read a PST with the npm package pst-extractor (a port of
// java-libpst, a reader mailferry did not write) and print what it finds
// as JSON, for tests/lib/pst_check.py.  Usage: node pst-read.js FILE.pst
'use strict';
const crypto = require('crypto');
const { PSTFile } = require('pst-extractor');

function attachmentBytes(a) {
  const s = a.fileInputStream;
  if (!s) return Buffer.alloc(0);
  const n = Number(s.length.toString());
  const buf = Buffer.alloc(n);
  if (n) s.readCompletely(buf);
  return buf;
}

function message(m, depth) {
  const out = {
    subject: m.subject,
    senderName: m.senderName,
    senderEmail: m.senderEmailAddress,
    submit: m.clientSubmitTime ? m.clientSubmitTime.getTime() / 1000 : null,
    delivery: m.messageDeliveryTime ? m.messageDeliveryTime.getTime() / 1000 : null,
    read: m.isRead,
    unsent: m.isUnsent,
    importance: m.importance,
    receipt: m.readReceiptRequested,
    body: m.body,
    rtf: m.bodyRTF,
    recipients: [],
    attachments: [],
  };
  for (let i = 0; i < m.numberOfRecipients; i++) {
    const r = m.getRecipient(i);
    out.recipients.push({ name: r.displayName, email: r.emailAddress, type: r.recipientType });
  }
  for (let i = 0; i < m.numberOfAttachments; i++) {
    const a = m.getAttachment(i);
    const e = { name: a.longFilename || a.filename, method: a.attachMethod };
    if (a.attachMethod === 5) {
      // pst-extractor builds an attachment without the node it belongs to
      // and then returns no embedded message at all; it only needs some
      // node to be set, so the enclosing message's is lent to it
      if (!a.descriptorIndexNode) a.descriptorIndexNode = m.descriptorIndexNode;
      const em = a.embeddedPSTMessage;
      e.embedded = em && depth < 16 ? message(em, depth + 1) : null;
    } else {
      const b = attachmentBytes(a);
      e.size = b.length;
      e.sha256 = crypto.createHash('sha256').update(b).digest('hex');
    }
    out.attachments.push(e);
  }
  return out;
}

function walk(folder, path, out) {
  const f = { path, count: folder.contentCount, messages: [] };
  if (folder.contentCount > 0) {
    let m = folder.getNextChild();
    while (m) {
      f.messages.push(message(m, 0));
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
let top = null;
for (const s of root.getSubFolders()) if (s.displayName.startsWith('Top of')) top = s;
if (top) walk(top, [], folders);
process.stdout.write(JSON.stringify({ store: pst.getMessageStore().displayName, top: top ? top.displayName : null, folders }) + '\n');
