/**
 * Files of the Jupyter server's contents (what the file browser shows), for choices made inside
 * the panel: another .onnx model to compare with. Read through the contents manager, so that
 * JupyterLite's in-browser drive works the same as a server's disk.
 */
import type { Contents } from '@jupyterlab/services';

import { bytesOfBase64 } from './sources';

/** How deep below the root the listing looks, and how many folders it reads at most. */
const MAX_DEPTH = 3;
const MAX_FOLDERS = 60;

/** The server's files as the panel uses them. */
export interface IServerFiles {
  /** Paths of files whose names end with one of `extensions`, sorted, from the root down a few folders. */
  list(extensions: readonly string[]): Promise<string[]>;
  /** The bytes of the file at `path`. */
  read(path: string): Promise<Uint8Array>;
}

/** The server's files through JupyterLab's contents manager. */
export function serverFiles(contents: Contents.IManager): IServerFiles {
  return {
    list: async extensions => {
      const found: string[] = [];
      const folders: { path: string; depth: number }[] = [
        { path: '', depth: 0 }
      ];
      let read = 0;
      while (folders.length > 0 && read < MAX_FOLDERS) {
        const folder = folders.shift()!;
        read++;
        let listing: Contents.IModel;
        try {
          listing = await contents.get(folder.path, { content: true });
        } catch {
          continue; // a folder we may not read is left out, not an error
        }
        for (const item of (listing.content ?? []) as Contents.IModel[]) {
          if (item.name.startsWith('.')) {
            continue;
          }
          if (item.type === 'directory' && folder.depth < MAX_DEPTH) {
            folders.push({ path: item.path, depth: folder.depth + 1 });
          } else if (
            item.type !== 'directory' &&
            extensions.some(e => item.name.toLowerCase().endsWith(e))
          ) {
            found.push(item.path);
          }
        }
      }
      return found.sort();
    },
    read: async path => {
      const file = await contents.get(path, {
        type: 'file',
        format: 'base64',
        content: true
      });
      return bytesOfBase64(String(file.content));
    }
  };
}
