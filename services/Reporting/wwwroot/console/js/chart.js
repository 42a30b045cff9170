// Small SVG charts built from elements (no library).
import { h } from './dom.js';

/** Stacked bars, one per bucket: segments [{ value, class }] from the bottom up. */
export function stackedBars(buckets, { width = 240, height = 48, label } = {}) {
  const max = Math.max(1, ...buckets.map(b => b.segments.reduce((s, x) => s + x.value, 0)));
  const w = width / Math.max(1, buckets.length);
  const svg = h('svg:svg', { class: 'chart', width, height: height + 12, viewBox: `0 0 ${width} ${height + 12}`, role: 'img', 'aria-label': label ?? 'chart' });
  svg.append(h('svg:line', { class: 'axis', x1: 0, y1: height + 0.5, x2: width, y2: height + 0.5 }));
  buckets.forEach((bucket, i) => {
    let y = height;
    for (const segment of bucket.segments) {
      if (!segment.value) continue;
      const sh = Math.max(1, (segment.value / max) * (height - 2));
      y -= sh;
      svg.append(h('svg:rect', { class: segment.class, x: i * w + 0.5, y, width: Math.max(1, w - 1), height: sh },
        h('svg:title', {}, `${bucket.title}: ${segment.value} ${segment.name ?? ''}`)));
    }
  });
  if (buckets.length) {
    svg.append(h('svg:text', { x: 0, y: height + 11 }, buckets[0].short ?? ''));
    svg.append(h('svg:text', { x: width, y: height + 11, 'text-anchor': 'end' }, buckets[buckets.length - 1].short ?? ''));
  }
  return svg;
}
