// Sent / failed / deferred over time, drawn by uPlot on a canvas. Its colours come from the
// page's CSS custom properties, so it follows light and dark; it is redrawn when the scheme
// changes and resized with its box. Axis times are in the viewer's zone (uPlot's default).
import uPlot from 'uplot';
import { useEffect, useRef, useState } from 'preact/hooks';

const kSeries = [
  { key: 'sent', label: 'sent', color: '--ok' },
  { key: 'failed', label: 'failed', color: '--bad' },
  { key: 'deferred', label: 'deferred', color: '--warn' },
];

function useDarkScheme() {
  const query = window.matchMedia('(prefers-color-scheme: dark)');
  const [dark, setDark] = useState(query.matches);
  useEffect(() => {
    const changed = () => setDark(query.matches);
    query.addEventListener('change', changed);
    return () => query.removeEventListener('change', changed);
  }, []);
  return dark;
}

// A point's time as Unix seconds: the API may give RFC 3339 text or a number.
function secondsOf(t) {
  if (typeof t === 'number') return t > 1e12 ? t / 1000 : t;
  return Date.parse(t) / 1000;
}

export function toColumns(points) {
  const columns = [[], [], [], []];
  for (const point of points) {
    columns[0].push(secondsOf(point.t));
    kSeries.forEach((series, i) => columns[i + 1].push(point[series.key] || 0));
  }
  return columns;
}

export function TimelineChart({ points, label }) {
  const box = useRef(null);
  const plot = useRef(null);
  const dark = useDarkScheme();
  const data = toColumns(points);

  useEffect(() => {
    const element = box.current; // the ref is null again by the time a late resize arrives
    const style = getComputedStyle(document.documentElement);
    const css = (name) => style.getPropertyValue(name).trim();
    const axis = { stroke: css('--muted'), grid: { stroke: css('--line'), width: 1 }, ticks: { stroke: css('--line') } };
    const chart = new uPlot(
      {
        width: Math.max(240, element.clientWidth),
        height: 220,
        series: [
          {},
          ...kSeries.map((series) => ({
            label: series.label,
            stroke: css(series.color),
            width: 2,
            points: { show: false },
          })),
        ],
        axes: [axis, { ...axis, size: 48 }],
        scales: { y: { range: (u, min, max) => [0, Math.max(1, max)] } },
        cursor: { drag: { x: false, y: false } },
      },
      data,
      element,
    );
    plot.current = chart;
    const resize = new ResizeObserver(() => {
      chart.setSize({ width: Math.max(240, element.clientWidth), height: 220 });
    });
    resize.observe(element);
    return () => {
      resize.disconnect();
      chart.destroy();
      plot.current = null;
    };
  }, [dark]);

  useEffect(() => {
    if (plot.current) plot.current.setData(data);
  }, [points]);

  return <div class="chart" ref={box} role="img" aria-label={label} />;
}
