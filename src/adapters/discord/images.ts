import type { Message, PartialMessage } from 'discord.js';
import type { IncomingImage } from '../../bot/types.js';

const IMAGE_NAME = /\.(png|jpe?g|gif|webp|avif|bmp|tiff?)$/i;

/** The images of a message: image attachments, and image embeds (through Discord's media proxy). */
export function imagesOf(message: Message | PartialMessage): IncomingImage[] {
  const out: IncomingImage[] = [];
  const seen = new Set<string>();
  const add = (img: IncomingImage) => {
    if (!img.url || seen.has(img.url)) return;
    seen.add(img.url);
    out.push(img);
  };
  for (const a of message.attachments?.values() ?? []) {
    const isImage = a.contentType ? a.contentType.toLowerCase().startsWith('image/') : IMAGE_NAME.test(a.name ?? '');
    if (!isImage) continue;
    add({ url: a.url, declaredSize: a.size, name: a.name ?? undefined, contentType: a.contentType ?? undefined });
  }
  for (const e of message.embeds ?? []) {
    const data = e.data;
    if (data.type === 'image' && data.thumbnail) {
      add({ url: data.thumbnail.proxy_url ?? data.thumbnail.url, name: 'embedded image' });
    } else if (data.image) {
      add({ url: data.image.proxy_url ?? data.image.url, name: 'embedded image' });
    }
  }
  return out;
}

/** A key of the message's images, to tell whether an edit changed them. */
export function imageKey(images: IncomingImage[]): string {
  return images
    .map((i) => (i.url ?? '').split('?')[0])
    .sort()
    .join('|');
}
