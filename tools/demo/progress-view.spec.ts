import { describe, expect, it } from '@jest/globals';
import { ProgressView } from './progress-view.js';

function capture(isTTY: boolean) {
  const chunks: string[] = [];
  const view = new ProgressView({ write: (t: string) => chunks.push(t), isTTY, columns: 60 }, {});
  return { view, text: () => chunks.join(''), chunks };
}

describe('progress view', () => {
  it('without a TTY: plain lines, the live state appended only when it changes, no escapes', () => {
    const { view, text } = capture(false);
    view.step(1, 'a run starts');
    view.setLive('run 1234 running', ['fetch ▶ running', 'approve ○ pending']);
    view.setLive('run 1234 running', ['fetch ▶ running', 'approve ○ pending']);
    view.setLive('run 1234 waiting_for_human', ['fetch ✓ succeeded', 'approve ⏸ waiting_for_human']);
    view.ok('done');
    view.close();
    expect(text()).toBe(
      '  1. a run starts\n' +
        '    · run 1234 running — fetch ▶ running, approve ○ pending\n' +
        '    · run 1234 waiting_for_human — fetch ✓ succeeded, approve ⏸ waiting_for_human\n' +
        '  ✓ done\n',
    );
  });

  it('on a TTY: the live block is erased before a permanent line and drawn again below it', () => {
    const { view, chunks } = capture(true);
    view.setLive('run 1234 running', ['fetch ▶ running', 'approve ○ pending']);
    chunks.length = 0;
    view.line('a permanent line');
    view.close();
    const [erase, line, redraw] = chunks;
    expect(erase).toBe('\r\x1b[2K' + '\x1b[1A\x1b[2K'.repeat(2));
    expect(line).toBe('a permanent line\n');
    expect(redraw).toContain('run 1234 running');
    expect(redraw).toContain('\n      approve ○ pending');
    expect(chunks.at(-1)).toBe('\r\x1b[2K' + '\x1b[1A\x1b[2K'.repeat(2)); // close() clears it
  });
});
