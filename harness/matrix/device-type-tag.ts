// Tests that mean something on one device type only (a device profile of that type) carry its tag,
// and the rigs of other device types do not list them at all (playwright.config.ts): a test skipped
// at run time would still be listed, sharded and counted by the matrix estimate as if it ran.

export const deviceTypeTag = (deviceType: string): string => `@device-type:${deviceType}`;

/** What a rig of `deviceType` leaves out: the tests tagged for any other device type. */
export function otherDeviceTypes(deviceType: string): RegExp {
  const own = deviceType.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
  return new RegExp(`@device-type:(?!${own}(\\s|$))`);
}
