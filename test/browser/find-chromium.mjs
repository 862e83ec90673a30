// Which Chromium the browser suite drives, decided before anything is bundled or launched.
// A path named in CHROMIUM must be there: whoever set it wants that browser, so a wrong one is an
// error. Without CHROMIUM the system browser is used when it is installed; when it is not, CI
// (CI=true) fails, since a CI run that skips a suite proves less than it says, and anywhere else
// the suite is skipped with one line saying how to enable it.
import { accessSync, constants, statSync } from 'node:fs';

/** Where Debian's chromium package puts the browser. */
export const SYSTEM_CHROMIUM = '/usr/bin/chromium';

const HOW = 'install it (apt-get install chromium) or set CHROMIUM=/path/to/chromium';

function executable(path) {
  try {
    accessSync(path, constants.X_OK);
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

/**
 * The browser to launch (`{ path }`), or why the suite is skipped (`{ skip }`) or fails
 * (`{ error }`). `env` is read for CHROMIUM and CI; IOBS_SYSTEM_CHROMIUM replaces the system path
 * looked for (the tests point it at a missing file to see the skip without uninstalling anything).
 */
export function findChromium(env = process.env) {
  const named = env.CHROMIUM;
  if (named !== undefined && named !== '') {
    if (executable(named)) return { path: named };
    return { error: `CHROMIUM=${named} is not an executable file; point it at a Chromium or Chrome binary, or unset it to use ${SYSTEM_CHROMIUM}` };
  }
  const system = env.IOBS_SYSTEM_CHROMIUM || SYSTEM_CHROMIUM;
  if (executable(system)) return { path: system };
  if (env.CI === 'true' || env.CI === '1') {
    return { error: `no Chromium at ${system}, and CI=${env.CI} does not let the browser suite be skipped: ${HOW}` };
  }
  return { skip: `no Chromium at ${system}; to run the browser suite, ${HOW}` };
}
