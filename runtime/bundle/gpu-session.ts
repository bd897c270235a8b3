/**
 * The WebGPU device a loaded bundle runs on, watched for loss. A device can be lost at any
 * time (a driver reset, a GPU process crash, `device.destroy()`); its pending work then fails
 * with a bare DOMException. The session tells that case apart, so the model can report it as
 * RNN4514, and replaces a device the model acquired itself (a device the caller passed in
 * belongs to the caller, who loads the bundle again on a new one).
 */
import { acquireDevice } from "../webgpu/device.ts";

export class GpuSession {
  private lostInfo: GPUDeviceLostInfo | undefined;

  constructor(
    private current: GPUDevice,
    /** Whether this session acquired the device (and so may destroy and replace it). */
    readonly owned: boolean,
    private readonly label: string,
  ) {
    this.watch();
  }

  get device(): GPUDevice {
    return this.current;
  }

  private watch(): void {
    const device = this.current;
    void device.lost.then((info) => {
      if (this.current === device) this.lostInfo = info;
    });
  }

  /**
   * Whether the device is lost. Loss is reported asynchronously, after the failures it causes,
   * so this waits up to `waitMs` for the report.
   */
  async lost(waitMs = 100): Promise<GPUDeviceLostInfo | undefined> {
    if (this.lostInfo) return this.lostInfo;
    const device = this.current;
    const info = await Promise.race([
      device.lost,
      new Promise<undefined>((done) => setTimeout(done, waitMs)),
    ]);
    return info ?? this.lostInfo;
  }

  /** Whether the device is known to be lost now (no waiting). */
  get isLost(): boolean {
    return this.lostInfo !== undefined;
  }

  /** A new device in place of the lost one (owned sessions only). */
  async renew(): Promise<GPUDevice> {
    if (!this.owned) throw new Error("internal: only an owned device is renewed");
    this.current = (await acquireDevice({ label: this.label })).device;
    this.lostInfo = undefined;
    this.watch();
    return this.current;
  }

  destroy(): void {
    if (this.owned) this.current.destroy();
  }
}
