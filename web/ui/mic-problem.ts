/** What the call screen says when the microphone can't be used. No DOM. */

/** Why there is no microphone: the app's capture error, by stable code. */
export interface MicrophoneProblem {
  code: 'denied' | 'not-found' | 'in-use' | 'unsupported' | 'failed';
  /** The browser's own words (shown as detail). */
  message: string;
}

/** The notice's heading and body, and the disabled mute button's title. */
export interface MicrophoneProblemText {
  title: string;
  detail: string;
  button: string;
}

const CONTINUES = 'the call continues without sound.';

/** The texts for `problem`. */
export function microphoneProblemText(problem: MicrophoneProblem): MicrophoneProblemText {
  const message = problem.message.trim();
  switch (problem.code) {
    case 'denied':
      return {
        title: 'Microphone blocked',
        detail: `The call continues without sound. Allow the microphone for this site (address bar) and choose it again in the picker.`,
        button: 'No microphone — blocked for this site',
      };
    case 'not-found':
      return {
        title: 'No microphone found',
        detail: `Nothing to record sound with: ${CONTINUES} Plug one in and choose it in the picker.`,
        button: 'No microphone — none found',
      };
    case 'in-use':
      return {
        title: 'Microphone busy',
        detail: `Another app or tab is using it: ${CONTINUES} Close that and choose the microphone again in the picker.`,
        button: 'No microphone — in use by another app',
      };
    case 'unsupported':
      return {
        title: 'Sound not available',
        detail: `This browser can't send sound from this page (it needs HTTPS or a newer browser): ${CONTINUES}`,
        button: 'No microphone — not supported here',
      };
    case 'failed':
    default:
      return {
        title: 'Microphone failed',
        detail: `${message ? `${message.replace(/[.\s]+$/, '')}. ` : ''}${CONTINUES.charAt(0).toUpperCase()}${CONTINUES.slice(1)} Choose the microphone again in the picker.`,
        button: 'No microphone — it failed to start',
      };
  }
}
