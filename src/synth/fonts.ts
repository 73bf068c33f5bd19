import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/**
 * Bold display fonts for generated memes. They come from npm packages (open fonts, OFL-1.1) so that a fresh
 * machine has them after `npm ci`; DejaVu Sans Bold is used too when the system has it (Debian: fonts-dejavu-core).
 */
export interface MemeFont {
  /** Short name used in options and reports, e.g. 'anton'. */
  id: string;
  /** Pango font description (family and style) matching the file. */
  pango: string;
  /** Absolute path of the .ttf file. */
  file: string;
}

const require = createRequire(import.meta.url);

interface FontSource {
  id: string;
  pango: string;
  /** A file inside an npm package, or an absolute system path. */
  npm?: { pkg: string; file: string };
  system?: string;
}

const SOURCES: FontSource[] = [
  { id: 'anton', pango: 'Anton', npm: { pkg: '@expo-google-fonts/anton', file: '400Regular/Anton_400Regular.ttf' } },
  { id: 'oswald', pango: 'Oswald Bold', npm: { pkg: '@expo-google-fonts/oswald', file: '700Bold/Oswald_700Bold.ttf' } },
  {
    id: 'archivo-black',
    pango: 'Archivo Black',
    npm: { pkg: '@expo-google-fonts/archivo-black', file: '400Regular/ArchivoBlack_400Regular.ttf' },
  },
  { id: 'dejavu-bold', pango: 'DejaVu Sans Bold', system: '/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf' },
];

function resolveSource(src: FontSource): string | null {
  if (src.system) return existsSync(src.system) ? src.system : null;
  if (!src.npm) return null;
  try {
    const pkgJson = require.resolve(`${src.npm.pkg}/package.json`);
    const file = join(dirname(pkgJson), src.npm.file);
    return existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

let cached: MemeFont[] | null = null;

/** The meme fonts available on this machine (the npm ones always are after `npm ci`). */
export function availableFonts(): MemeFont[] {
  if (!cached) {
    cached = [];
    for (const src of SOURCES) {
      const file = resolveSource(src);
      if (file) cached.push({ id: src.id, pango: src.pango, file });
    }
  }
  return cached;
}

/** A font by id; throws when it is not available here. */
export function getFont(id: string): MemeFont {
  const font = availableFonts().find((f) => f.id === id);
  if (!font) {
    const known = availableFonts()
      .map((f) => f.id)
      .join(', ');
    throw new Error(`font "${id}" is not available (available: ${known})`);
  }
  return font;
}
