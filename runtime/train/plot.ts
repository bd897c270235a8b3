/** A small SVG line chart of training and validation loss per epoch (no dependencies). */

export interface Series {
  readonly name: string;
  readonly color: string;
  readonly points: readonly (readonly [number, number])[];
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

export function lossPlot(
  title: string,
  series: readonly Series[],
  xLabel = "epoch",
  yLabel = "loss",
): string {
  const width = 640;
  const height = 360;
  const margin = { left: 64, right: 16, top: 36, bottom: 44 };
  const all = series.flatMap((s) => s.points);
  const xs = all.map(([x]) => x);
  const ys = all.map(([, y]) => y);
  const [x0, x1] = [Math.min(...xs, 0), Math.max(...xs, 1)];
  const [y0, y1] = [Math.min(...ys, 0), Math.max(...ys, 1e-9)];
  const sx = (x: number) =>
    margin.left + ((x - x0) / (x1 - x0 || 1)) * (width - margin.left - margin.right);
  const sy = (y: number) =>
    height - margin.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - margin.top - margin.bottom);
  const lines: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
    `<rect width="${width}" height="${height}" fill="white"/>`,
    `<text x="${width / 2}" y="20" text-anchor="middle" font-size="14">${escape(title)}</text>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const y = y0 + ((y1 - y0) * k) / 4;
    lines.push(
      `<line x1="${margin.left}" x2="${width - margin.right}" y1="${sy(y).toFixed(1)}" y2="${sy(y).toFixed(1)}" stroke="#ddd"/>`,
    );
    lines.push(
      `<text x="${margin.left - 6}" y="${(sy(y) + 4).toFixed(1)}" text-anchor="end">${y.toPrecision(3)}</text>`,
    );
  }
  lines.push(
    `<text x="${width / 2}" y="${height - 10}" text-anchor="middle">${escape(xLabel)}</text>`,
  );
  lines.push(
    `<text x="16" y="${height / 2}" text-anchor="middle" transform="rotate(-90 16 ${height / 2})">${escape(yLabel)}</text>`,
  );
  series.forEach((s, i) => {
    if (s.points.length === 0) return;
    const path = s.points
      .map(([x, y], k) => `${k === 0 ? "M" : "L"}${sx(x).toFixed(1)},${sy(y).toFixed(1)}`)
      .join(" ");
    lines.push(`<path d="${path}" fill="none" stroke="${s.color}" stroke-width="2"/>`);
    lines.push(
      `<text x="${width - margin.right - 4}" y="${margin.top + 14 * (i + 1)}" text-anchor="end" fill="${s.color}">${escape(s.name)}</text>`,
    );
  });
  lines.push("</svg>");
  return `${lines.join("\n")}\n`;
}
