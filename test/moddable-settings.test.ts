/*
 * hosts/moddable/settings.ts on Node, with mc/config (what manifest.json,
 * the board file and mcconfig's key=value arguments give) replaced by a
 * plain object and preferences by a Map: every value given but not usable
 * is named in a warning (boot.ts logs them at Warn) with the default used
 * instead, and call targets are taken in the form the core calls.
 */
import { beforeEach, describe, expect, it, vi } from "vitest";
import type { StorageHost } from "../src/host";

const config: Record<string, unknown> = {};
vi.mock("mc/config", () => ({ default: config }));

/** What this test reads of settings.ts's exports (its Settings, in part). */
interface SettingsModule {
  loadSettings(storage: StorageHost | null): {
    warnings: string[]; targets: string[]; sipServer: string; sipPort: number; sipUser: string; expires: number; keepalive: number;
    hunt: string; transfers: string; relayPin: number; relayActiveLow: boolean; ringTimeoutMs: number; doorOpenMs: number; audio: { pdmMic: boolean };
  };
  parseCallTargets(text: string, warnings: string[]): string[];
}
// Imported by a path tsc does not follow: the root tsconfig checks no Moddable module (mc/config, trace);
// hosts/moddable/tsconfig.json checks settings.ts itself.
const SETTINGS = "../hosts/moddable/settings";
const { loadSettings, parseCallTargets } = (await import(/* @vite-ignore */ SETTINGS)) as SettingsModule;

/** manifest.json's config and the DevKitC's board file (boards/esp32_devkitc.json), as mcconfig merges them. */
const MANIFEST: Record<string, unknown> = {
  sip_server: "", sip_port: 5060, sip_user: "door", sip_password: "", call_target: "", hunt: "sequential", door_code: "",
  door_open_ms: 3000, keepalive: 25, expires: 600, log_level: "info", board: "esp32_devkitc", button_pin: 0, button_pull: "up",
  button_active: "low", relay_pin: 26, relay_active: "high", led_pin: 2, led_active: "high", led_kind: "gpio",
};

function storage(values: Record<string, string>): StorageHost {
  const m = new Map(Object.entries(values));
  return { get: (k: string) => m.get(k), set: (k: string, v: string) => void m.set(k, v) };
}

beforeEach(() => {
  for (const k of Object.keys(config)) delete config[k];
  Object.assign(config, MANIFEST);
});

describe("settings", () => {
  it("the manifest's defaults load without a warning but the missing door code", () => {
    config.sip_server = "192.168.1.10";
    const s = loadSettings(null);
    expect(s.warnings).toEqual(["no door_code: DTMF does not open the door"]);
    expect(s).toMatchObject({ sipServer: "192.168.1.10", sipPort: 5060, sipUser: "door", expires: 600, keepalive: 25, hunt: "sequential", relayPin: 26 });
  });

  it("an unusable number, choice or flag falls back to its default, and says so", () => {
    Object.assign(config, { expires: "30", hunt: "paralel", keepalive: "ten", relay_active: "lo", log_level: "verbose", mic_pdm: "maybe", door_code: "4711#" });
    const s = loadSettings(null);
    expect(s.expires).toBe(600);
    expect(s.hunt).toBe("sequential");
    expect(s.keepalive).toBe(25);
    expect(s.relayActiveLow).toBe(false);
    expect(s.audio.pdmMic).toBe(false);
    expect(s.warnings).toEqual(expect.arrayContaining([
      "expires=30 is not a whole number from 60 to 86400; using 600",
      "hunt=paralel is not one of sequential, parallel; using sequential",
      "keepalive=ten is not a whole number from 0 to 3600; using 25",
      "relay_active=lo is not one of low, high; using high",
      "log_level=verbose is not one of error, warn, info, debug, 0, 1, 2, 3; using info",
      "mic_pdm=maybe is not true or false; using false",
    ]));
    expect(s.warnings).toHaveLength(6);
  });

  it("transfers: on by default; off from a preference; another word falls back to on and says so", () => {
    expect(loadSettings(null).transfers).toBe("on");
    expect(loadSettings(storage({ transfers: "off" })).transfers).toBe("off");
    const bad = loadSettings(storage({ transfers: "never" }));
    expect(bad.transfers).toBe("on");
    expect(bad.warnings).toContain("transfers=never is not one of on, off; using on");
  });

  it("a stored preference is checked the same way, and a good one wins over the config", () => {
    const s = loadSettings(storage({ ring_timeout_ms: "500", door_open_ms: "5000", door_code: "12#" }));
    expect(s.ringTimeoutMs).toBe(30000);
    expect(s.doorOpenMs).toBe(5000);
    expect(s.warnings).toEqual(["ring_timeout_ms=500 is not a whole number from 1000 to 600000; using 30000"]);
  });

  it("call_target: user@host gets its sip:, extensions and SIP URIs stay, the unusable are left out with a warning", () => {
    const warnings: string[] = [];
    expect(parseCallTargets("100, 101@pbx.example, SIP:102@pbx, **610, tel:+4930, 1 03, 10#", warnings))
      .toEqual(["100", "sip:101@pbx.example", "sip:102@pbx", "**610"]);
    expect(warnings).toEqual([
      `call_target "tel:+4930": only sip: and sips: URIs can be called; left out`,
      `call_target "1 03" holds a space; left out`,
      `call_target "10#" is neither an extension (letters, digits, - _ . ! ~ * ' ( ) & = + $ ; ? /) nor a SIP URI; left out`,
    ]);
    config.call_target = "100@pbx.example";
    config.door_code = "1#";
    expect(loadSettings(null).targets).toEqual(["sip:100@pbx.example"]);
  });
});
