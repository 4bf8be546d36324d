import { describe, expect, it } from "vitest";
import { enterForeground, foregroundIdle, foregroundRequests } from "../../src/core/foreground.ts";

describe("foreground gate", () => {
  it("lets background work wait for the requests in flight, at most maxWaitMs", async () => {
    expect(foregroundRequests()).toBe(0);
    const a = enterForeground();
    const b = enterForeground();
    expect(foregroundRequests()).toBe(2);
    let passed = false;
    const gate = foregroundIdle(10_000).then(() => (passed = true));
    await new Promise((r) => setTimeout(r, 20));
    a();
    a(); // leaving twice counts once
    await new Promise((r) => setTimeout(r, 20));
    expect(passed).toBe(false);
    b();
    await gate;
    expect(passed).toBe(true);
    expect(foregroundRequests()).toBe(0);

    // A request that never finishes holds background work back for maxWaitMs only.
    const stuck = enterForeground();
    const started = Date.now();
    await foregroundIdle(30);
    expect(Date.now() - started).toBeGreaterThanOrEqual(25);
    expect(Date.now() - started).toBeLessThan(1000);
    stuck();
  });

  it("waits only one timer turn when no request is in flight", async () => {
    const started = Date.now();
    await foregroundIdle(10_000);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
