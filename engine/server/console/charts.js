// Charts (Debian's Chart.js, served by loyaltyd): one chart per canvas,
// replaced when its panel is drawn again. Every chart's numbers are also in
// the table beside it, for keyboards, screen readers and tests.
'use strict';

const Charts = (() => {
  const drawn = new Map();
  const colors = ['#1f6feb', '#2da44e', '#bf8700', '#cf222e', '#8250df', '#57606a'];

  function draw(id, config) {
    if (typeof Chart === 'undefined') return;  // charts are extra: tables stay
    if (drawn.has(id)) drawn.get(id).destroy();
    const canvas = document.getElementById(id);
    config.options = Object.assign({animation: false, responsive: true,
                                    maintainAspectRatio: true, aspectRatio: 2}, config.options);
    drawn.set(id, new Chart(canvas, config));
  }

  // datasets: [[label, values], ...]; `lines` draws lines instead of bars.
  function series(id, labels, datasets, {lines, stacked, dashed} = {}) {
    draw(id, {
      type: lines ? 'line' : 'bar',
      data: {
        labels,
        datasets: datasets.map(([label, data], i) => ({
          label, data, borderColor: colors[i % colors.length],
          backgroundColor: colors[i % colors.length],
          borderDash: dashed && dashed.includes(i) ? [6, 4] : [],
          pointRadius: dashed && dashed.includes(i) ? 0 : 3,
        })),
      },
      options: {scales: {x: {stacked: Boolean(stacked)},
                         y: {stacked: Boolean(stacked), beginAtZero: true}}},
    });
  }

  function doughnut(id, labels, data) {
    draw(id, {type: 'doughnut', data: {labels, datasets: [{data, backgroundColor: colors}]}});
  }

  return {series, doughnut};
})();
