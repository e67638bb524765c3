/**
 * WebRTC mode's sound on this page, apart from the connections: our microphone's meter and,
 * per remote peer, the Web Audio node that carries what we hear from it.
 *
 * ONE path to the speakers: the peer's tile `<video>` element, unmuted, plays its stream
 * (sound and picture in sync, and Chromium's echo canceller hears what the element plays).
 * The Web Audio nodes here are NEVER connected to `destination` — they only feed meters and
 * taps (`output(peerId)`): connecting them too would play every voice twice.
 *
 * NOTE: Chromium renders a remote WebRTC audio track only while a media element plays it; a
 * `MediaStreamAudioSourceNode` made from a track that no element plays stays silent, and so
 * does the RTP level (`getSynchronizationSources`). Seen in headless Chromium 156: with the
 * tile's `srcObject` set to null the tap and the level read 0; a MUTED element is enough to keep
 * both alive. The tile's element is what keeps `output(peerId)` alive (webrtc-audio.e2e.test.ts).
 */
import { rmsLevel } from './audio-level.ts';

/** Samples per level reading of our microphone (21 ms at 48 kHz). */
export const MIC_METER_SAMPLES = 1024;

interface MicNodes {
  source: MediaStreamAudioSourceNode;
  analyser: AnalyserNode;
  samples: Float32Array<ArrayBuffer>;
}

interface RemoteAudio {
  track: MediaStreamTrack;
  /** Source → output (a unity GainNode: taps keep the same node when the track is replaced). */
  nodes: { source: MediaStreamAudioSourceNode; output: GainNode } | undefined;
}

export class WebRtcAudio {
  #context: AudioContext | null;
  #microphone: MediaStream | null = null;
  #mic: MicNodes | undefined;
  readonly #remote = new Map<number, RemoteAudio>();
  #closed = false;

  /** `context`: the page's AudioContext, or null (no meters but the RTP levels, no taps). */
  constructor(context: AudioContext | null, microphone: MediaStream | null) {
    this.#context = context;
    this.setMicrophone(microphone);
  }

  /** The microphone stream being metered and sent, or null. */
  get microphone(): MediaStream | null {
    return this.#microphone;
  }

  /** The microphone's audio track, or null without a microphone. */
  get micTrack(): MediaStreamTrack | null {
    return this.#microphone?.getAudioTracks()[0] ?? null;
  }

  /** The AudioContext in use, or null. */
  get audioContext(): AudioContext | null {
    return this.#context;
  }

  /** Uses `context` from now on (e.g. one made after the transport); the nodes are rebuilt in it. */
  setAudioContext(context: AudioContext | null): void {
    if (this.#closed || context === this.#context) return;
    this.#dropMic();
    for (const remote of this.#remote.values()) WebRtcAudio.#drop(remote);
    this.#context = context;
    this.#buildMic();
    for (const remote of this.#remote.values()) this.#build(remote);
  }

  /** Meters `microphone` (null: none). The stream stays the app's: it is never stopped here. */
  setMicrophone(microphone: MediaStream | null): void {
    if (this.#closed) return;
    this.#dropMic();
    this.#microphone = microphone;
    this.#buildMic();
  }

  /**
   * Our microphone's loudness now, 0..1 (RMS of the last `MIC_METER_SAMPLES`): 0 while not
   * `sending` (muted), null without a microphone or without an AudioContext.
   */
  micLevel(sending: boolean): number | null {
    if (this.micTrack === null) return null;
    if (!sending) return 0;
    const mic = this.#mic;
    if (!mic) return null;
    mic.analyser.getFloatTimeDomainData(mic.samples);
    return rmsLevel(mic.samples);
  }

  /** Peer `peerId`'s remote audio track arrived (again: a new connection replaces the old one). */
  remoteTrack(peerId: number, track: MediaStreamTrack): void {
    if (this.#closed || track.kind !== 'audio') return;
    const existing = this.#remote.get(peerId);
    if (existing?.track === track) return;
    const remote: RemoteAudio = { track, nodes: undefined };
    if (existing?.nodes) {
      // Keep the output node (taps stay connected); only the source is new.
      existing.nodes.source.disconnect();
      remote.nodes = existing.nodes;
      const source = this.#context!.createMediaStreamSource(new MediaStream([track]));
      source.connect(remote.nodes.output);
      remote.nodes.source = source;
    } else {
      this.#build(remote);
    }
    this.#remote.set(peerId, remote);
  }

  /** The node carrying what we hear from `peerId` (0: our microphone), or null (no sound, no AudioContext). */
  output(peerId: number): AudioNode | null {
    if (peerId === 0) return this.#mic?.source ?? null;
    return this.#remote.get(peerId)?.nodes?.output ?? null;
  }

  /** Forgets peer `peerId` (it left); its nodes are disconnected. */
  removePeer(peerId: number): void {
    const remote = this.#remote.get(peerId);
    if (!remote) return;
    this.#remote.delete(peerId);
    WebRtcAudio.#drop(remote);
  }

  /** Disconnects every node (the AudioContext and the microphone stay the app's). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const peerId of [...this.#remote.keys()]) this.removePeer(peerId);
    this.#dropMic();
  }

  #buildMic(): void {
    const context = this.#context;
    const microphone = this.#microphone;
    if (!context || !microphone || microphone.getAudioTracks().length === 0) return;
    const source = context.createMediaStreamSource(microphone);
    const analyser = context.createAnalyser();
    analyser.fftSize = MIC_METER_SAMPLES;
    // NOTE: the analyser is pulled without being connected to destination (no self-monitoring).
    source.connect(analyser);
    this.#mic = { source, analyser, samples: new Float32Array(analyser.fftSize) };
  }

  #dropMic(): void {
    this.#mic?.source.disconnect();
    this.#mic = undefined;
  }

  #build(remote: RemoteAudio): void {
    const context = this.#context;
    if (!context) return;
    const source = context.createMediaStreamSource(new MediaStream([remote.track]));
    const output = context.createGain();
    source.connect(output);
    remote.nodes = { source, output };
  }

  static #drop(remote: RemoteAudio): void {
    remote.nodes?.source.disconnect();
    remote.nodes?.output.disconnect();
    remote.nodes = undefined;
  }
}
