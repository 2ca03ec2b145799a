import { test } from 'node:test';
import assert from 'node:assert/strict';
import Module from 'node:module';
import { isInputError } from '../../src/errors';
import { createDisplayState, displayBundle, PLOTLY_MIME, show, showTable, tableBundle, tslabSender } from '../../src/plots/display';
import { emidBoundScatter } from '../../src/plots/figures';

const figure = emidBoundScatter([
  { split: 'llava_bench_coco_frost_1', emid: 0.01, bound: 1.0 },
  { split: 'llava_bench_coco_sr_4', emid: 0.02, bound: 1.2 },
  { split: 'llava_bench_coco_frost_1_sr_4', emid: 0.05, bound: 1.5 },
]);

const hasPlotlyLibrary = (html: string) => html.includes('inlined from plotly.js-dist-min') && html.includes('window.Plotly = Plotly');

test('displayBundle: plotly JSON, HTML and text in one bundle; plotly.js only in the first', () => {
  const state = createDisplayState({ idPrefix: 'test' });
  const first = displayBundle(figure, state);
  assert.deepEqual(Object.keys(first).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
  assert.deepEqual(first[PLOTLY_MIME], JSON.parse(JSON.stringify({ data: figure.data, layout: figure.layout, config: figure.config })));
  assert.ok(hasPlotlyLibrary(first['text/html']), 'the first bundle carries plotly.js');
  assert.ok(!/<script[^>]+src=/i.test(first['text/html']), 'no external script');
  assert.ok(first['text/html'].includes('id="test-1"'));
  assert.ok(first['text/html'].includes('Plotly.newPlot'));
  assert.match(first['text/plain'], /^Plotly figure: EMID vs\. its upper bound — Pearson r = /);
  assert.match(first['text/plain'], /x: EMID upper bound \(scale-adjusted, nats\)/);
  assert.match(first['text/plain'], /frost \(n = 1\) \(scatter, 1 points\)/);
  assert.match(first['text/plain'], /frost \+ synonym replacement \(n = 1\) \(scatter, 1 points\)/);
  assert.equal(state.plotlyEmbedded, true);

  const second = displayBundle(figure, state);
  assert.ok(!hasPlotlyLibrary(second['text/html']), 'a later bundle references the loaded library');
  assert.ok(second['text/html'].length < 100_000);
  assert.ok(second['text/html'].includes('id="test-2"'));
  assert.ok(second['text/html'].includes('window.Plotly'));
  assert.ok(hasPlotlyLibrary(displayBundle(figure, state, { embedPlotly: true })['text/html']), 'forced re-embedding');
  assert.ok(hasPlotlyLibrary(displayBundle(figure, createDisplayState())['text/html']), 'a new state embeds again');
});

test('the inlined plotly.js cannot close its script element early', () => {
  const html = displayBundle(figure, createDisplayState())['text/html'];
  const scripts = html.match(/<script\b/gi)!.length;
  const closes = html.match(/<\/script>/gi)!.length;
  assert.equal(scripts, closes);
  assert.equal(scripts, 2, 'library + figure');
  assert.ok(!html.includes('<!--'));
});

test('a bundle is detached from the figure object', () => {
  const copy = JSON.parse(JSON.stringify(figure));
  const bundle = displayBundle(copy, createDisplayState());
  copy.layout.title.text = 'changed';
  assert.notEqual((bundle[PLOTLY_MIME].layout.title as { text: string }).text, 'changed');
});

function captureStdout(run: () => void): string {
  const original = process.stdout.write.bind(process.stdout);
  let text = '';
  (process.stdout as any).write = (chunk: string | Uint8Array) => {
    text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
    return true;
  };
  try {
    run();
  } finally {
    (process.stdout as any).write = original;
  }
  return text;
}

test('show outside tslab prints the text summary; with a sender it sends one full bundle', () => {
  assert.equal(tslabSender(), undefined);
  const printed = captureStdout(() => show(figure));
  assert.match(printed, /^Plotly figure: EMID vs\. its upper bound/);
  assert.ok(!printed.includes('<script'));

  const sent: Record<string, unknown>[] = [];
  const state = createDisplayState();
  show(figure, { send: (bundle) => sent.push(bundle), state });
  show({ id: 'named', title: 'named', figure }, { send: (bundle) => sent.push(bundle), state });
  assert.equal(sent.length, 2);
  assert.deepEqual(Object.keys(sent[0]).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
  assert.ok(hasPlotlyLibrary(String(sent[0]['text/html'])));
  assert.ok(!hasPlotlyLibrary(String(sent[1]['text/html'])));
  assert.throws(() => show({ nope: 1 } as never, { send: () => {} }), (error: unknown) => isInputError(error));
});

test('under tslab, show writes one display_data message through tslab\'s kernel writer', () => {
  // A stand-in for tslab/dist/jupyter.js as a running tslab kernel has it in the module cache.
  const fakePath = '/nonexistent/node_modules/tslab/dist/jupyter.js';
  const calls: { content: any; update: boolean }[] = [];
  const fake = new Module(fakePath);
  fake.filename = fakePath;
  fake.loaded = true;
  fake.exports = { lastWriteDisplayData: null };
  require.cache[fakePath] = fake;
  try {
    assert.equal(tslabSender(), undefined, 'no writer before a cell runs');
    fake.exports.lastWriteDisplayData = (content: any, update: boolean) => calls.push({ content, update });
    const state = createDisplayState();
    show(figure, { state });
    show(figure, { state });
    assert.equal(calls.length, 2);
    const [first, second] = calls;
    assert.equal(first.update, false, 'display_data, not update_display_data');
    assert.deepEqual(Object.keys(first.content).sort(), ['data', 'metadata', 'transient']);
    assert.deepEqual(Object.keys(first.content.data).sort(), [PLOTLY_MIME, 'text/html', 'text/plain'].sort());
    assert.deepEqual(first.content.data[PLOTLY_MIME].data, JSON.parse(JSON.stringify(figure.data)));
    assert.ok(hasPlotlyLibrary(first.content.data['text/html']));
    assert.ok(!hasPlotlyLibrary(second.content.data['text/html']));

    showTable([{ split: 'a', emid: 0.1 }]);
    assert.equal(calls.length, 3);
    assert.deepEqual(Object.keys(calls[2].content.data).sort(), ['text/html', 'text/plain']);
  } finally {
    delete require.cache[fakePath];
  }
});

test('tables from rows and from DataFrame-like objects', () => {
  const rows = [
    { split: 'a<b', emid: 0.123456, n: 3 },
    { split: 'c', emid: -0.5, extra: true },
  ];
  const bundle = tableBundle(rows);
  assert.match(bundle['text/html'], /<th>split<\/th><th class="num">emid<\/th>/);
  assert.ok(bundle['text/html'].includes('a&lt;b'), 'cells are escaped');
  assert.ok(bundle['text/html'].includes('<td class="num">0.1235</td>'), 'the column takes 4 significant digits from its largest value');
  assert.ok(bundle['text/html'].includes('<td class="num">-0.5000</td>'), 'and every value of it the same decimals');
  assert.equal(bundle['text/plain'].split('\n')[0].trim().split(/\s+/).join(' '), 'split emid n extra');

  const frame = { columns: ['split', 'emid'], values: [['a', 0.1], ['b', 0.2]] };
  const fromFrame = tableBundle(frame);
  assert.ok(fromFrame['text/html'].includes('<td>b</td>'));
  assert.equal(fromFrame['text/plain'].split('\n').length, 3);

  const printed = captureStdout(() => showTable(frame));
  assert.equal(printed, 'split  emid\na       0.1\nb       0.2\n', 'one format for the column, no trailing zeros, numbers right-aligned');
  assert.throws(() => tableBundle({ columns: ['a', 'b'], values: [[1]] }), /values\[0\]: row has 1 values for 2 columns/);
  assert.throws(() => tableBundle(42), (error: unknown) => isInputError(error));
});
