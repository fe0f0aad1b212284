/* What a reader would see as broken layout: see layout_problems in report_browser.py.
   arguments[0]: whether a box that scrolls may be wider than its content (phone). */
const scrollOk = arguments[0];
if (!document.getElementById('ci-no-motion')) {  // measure the settled layout, not a slide
  const style = document.createElement('style');
  style.id = 'ci-no-motion';
  style.textContent = '*, *::before, *::after { transition: none !important; animation: none !important; }';
  document.head.appendChild(style);
}
const out = [];
const doc = document.documentElement;
const vw = doc.clientWidth;
if (doc.scrollWidth > vw + 1) out.push(`the page scrolls sideways: ${doc.scrollWidth} > ${vw} px`);
const name = el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
  (el.className && typeof el.className === 'string' ? '.' + el.className.split(' ')[0] : '');
const what = el => {
  const cap = el.querySelector && el.querySelector('caption, figcaption');
  const text = cap ? cap.textContent : (el.getAttribute('alt') || el.textContent || '');
  return `${name(el)} "${text.trim().slice(0, 60)}"`;
};
const boxOf = el => {
  for (let b = el; b && b !== document.body; b = b.parentElement) {
    if (getComputedStyle(b).overflowX !== 'visible') return b;
  }
  return null;
};
const article = document.querySelector('article') || document.body || doc;
for (const el of article.querySelectorAll('table, figure, img, svg, .ci-cards')) {
  if (!el.getClientRects().length) continue;
  const box = boxOf(el);
  if (box && box.scrollWidth > box.clientWidth + 1) {
    const o = getComputedStyle(box).overflowX;
    if (!(scrollOk && (o === 'auto' || o === 'scroll')))
      out.push(`${what(el)}: ${box.scrollWidth} px in a ${box.clientWidth} px box (${name(box)}, overflow ${o})`);
  } else if (!box || !article.contains(box)) {
    const r = el.getBoundingClientRect(), a = article.getBoundingClientRect();
    const cs = getComputedStyle(article);
    const left = a.left + parseFloat(cs.paddingLeft), right = a.right - parseFloat(cs.paddingRight);
    if (r.right > right + 1 || r.left < left - 1)
      out.push(`${what(el)}: ${Math.round(r.width)} px, past the article's text (${Math.round(right - left)} px)`);
  }
}
const scrolls = el => {
  for (let b = el.parentElement; b && b !== document.body; b = b.parentElement) {
    const o = getComputedStyle(b).overflowX;
    if (o === 'auto' || o === 'scroll') return true;
  }
  return false;
};
for (const el of document.body.querySelectorAll('*')) {
  const s = getComputedStyle(el);
  if (s.visibility !== 'visible' || s.position === 'fixed' || !el.getClientRects().length) continue;
  const r = el.getBoundingClientRect();
  if (r.width === 0 || r.height === 0) continue;
  // straddles a side of the window: partly shown (a drawer slid wholly away is hidden)
  if (((r.right > vw + 1 && r.left < vw) || (r.left < -1 && r.right > 0)) && !scrolls(el))
    out.push(`${what(el)} is cut off: ${Math.round(r.left)} to ${Math.round(r.right)} px of ${vw}`);
}
return out;
