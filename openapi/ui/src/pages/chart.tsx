/**
 * A simple horizontal bar chart in SVG (no library, no inline style: CSP-clean). Negative values
 * (credit outweighing debt) are drawn as empty bars; the exact figure is always in the text.
 */
export function BarChart(props: { label: string; bars: readonly { label: string; value: number; text: string }[] }) {
  const max = Math.max(0, ...props.bars.map((b) => b.value));
  const row = 26;
  const labelWidth = 140;
  const width = 560;
  const barSpace = width - labelWidth - 150;
  return (
    <svg class="bar-chart" role="img" aria-label={props.label} viewBox={`0 0 ${width} ${props.bars.length * row + 4}`} width="100%" preserveAspectRatio="xMinYMin meet">
      {props.bars.map((b, i) => {
        const w = max > 0 && b.value > 0 ? Math.max(1, (b.value / max) * barSpace) : 0;
        const y = i * row + 4;
        return (
          <g key={i}>
            <text x={labelWidth - 8} y={y + 15} text-anchor="end" class="bar-label">{b.label.length > 20 ? `${b.label.slice(0, 19)}…` : b.label}</text>
            <rect x={labelWidth} y={y + 3} width={w} height={row - 10} class="bar" rx="2" />
            <text x={labelWidth + w + 6} y={y + 15} class="bar-value">{b.text}</text>
          </g>
        );
      })}
    </svg>
  );
}
