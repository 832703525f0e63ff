// Throughput over the last minutes, from the task events the page receives: tasks created and tasks finished
// (succeeded, failed, cancelled) per second. Drawn with uPlot once a second; nothing is asked of the server.
import uPlot from './vendor/uplot/uPlot.esm.js';

const WINDOW = 120; // seconds shown

export class Throughput {
  constructor(container, summary) {
    this.counts = new Map(); // epoch second -> [enqueued, finished]
    this.summary = summary;
    const now = Math.floor(Date.now() / 1000);
    this.plot = new uPlot({
      width: Math.max(280, container.clientWidth || 600),
      height: 180,
      scales: {x: {time: true}, y: {range: (u, min, max) => [0, Math.max(5, max * 1.2)]}},
      axes: [{stroke: '#333'}, {stroke: '#333', label: 'tasks / s'}],
      series: [
        {},
        {label: 'enqueued', stroke: '#0b5cad', width: 2},
        {label: 'finished', stroke: '#1a7f37', width: 2, dash: [6, 3]}
      ]
    }, this.data(now), container);
    this.resize = () => this.plot.setSize({width: Math.max(280, container.clientWidth), height: 180});
    window.addEventListener('resize', this.resize);
    this.timer = setInterval(() => this.draw(), 1000);
  }

  add(kind) {
    const second = Math.floor(Date.now() / 1000);
    const entry = this.counts.get(second) || [0, 0];
    entry[kind === 'enqueued' ? 0 : 1]++;
    this.counts.set(second, entry);
  }

  data(now) {
    const xs = [], enq = [], fin = [];
    for (let s = now - WINDOW + 1; s <= now; s++) {
      const c = this.counts.get(s) || [0, 0];
      xs.push(s); enq.push(c[0]); fin.push(c[1]);
    }
    return [xs, enq, fin];
  }

  draw() {
    const now = Math.floor(Date.now() / 1000);
    for (const s of this.counts.keys()) if (s <= now - WINDOW) this.counts.delete(s);
    const data = this.data(now);
    this.plot.setData(data);
    let e = 0, f = 0;
    for (let i = data[0].length - 10; i < data[0].length; i++) { e += data[1][i]; f += data[2][i]; }
    this.summary.textContent = `Last 10 s: ${(e / 10).toFixed(1)} enqueued/s, ${(f / 10).toFixed(1)} finished/s.`;
  }

  destroy() {
    clearInterval(this.timer);
    window.removeEventListener('resize', this.resize);
    this.plot.destroy();
  }
}
