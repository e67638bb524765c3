import { describe, expect, it } from 'vitest';
import { microphoneProblemText, type MicrophoneProblem } from './mic-problem.ts';

describe('microphoneProblemText', () => {
  it('tells a blocked microphone how to allow it, and that the call goes on', () => {
    const text = microphoneProblemText({ code: 'denied', message: 'Permission denied' });
    expect(text.title).toBe('Microphone blocked');
    expect(text.detail).toBe('The call continues without sound. Allow the microphone for this site (address bar) and choose it again in the picker.');
    expect(text.button).toMatch(/^No microphone — blocked/);
  });

  it('has a title, a detail saying the call continues, and a button title for every code', () => {
    const codes: MicrophoneProblem['code'][] = ['denied', 'not-found', 'in-use', 'unsupported', 'failed'];
    const texts = codes.map((code) => microphoneProblemText({ code, message: 'x' }));
    for (const t of texts) {
      expect(t.title).not.toBe('');
      expect(t.detail).toMatch(/continues without sound/i);
      expect(t.button).toMatch(/^No microphone — /);
    }
    expect(new Set(texts.map((t) => t.title)).size).toBe(codes.length);
  });

  it('quotes the browser message of a failure', () => {
    expect(microphoneProblemText({ code: 'failed', message: 'Could not start audio source.' }).detail).toBe(
      'Could not start audio source. The call continues without sound. Choose the microphone again in the picker.',
    );
    expect(microphoneProblemText({ code: 'failed', message: '' }).detail).toBe('The call continues without sound. Choose the microphone again in the picker.');
  });

  it('treats an unknown code as a failure', () => {
    const text = microphoneProblemText({ code: 'weird', message: 'boom' } as unknown as MicrophoneProblem);
    expect(text.title).toBe('Microphone failed');
  });
});
