/** Saving files from the renderer: a blob link the browser (or Electron's download handler) saves. */

export function downloadText(filename: string, content: string, mime = 'text/plain'): void {
  const url = URL.createObjectURL(new Blob([content], { type: mime }));
  try {
    clickLink(url, filename);
  } finally {
    window.setTimeout(() => URL.revokeObjectURL(url), 10_000);
  }
}

export function downloadDataUrl(filename: string, dataUrl: string): void {
  clickLink(dataUrl, filename);
}

function clickLink(href: string, filename: string): void {
  const link = document.createElement('a');
  link.href = href;
  link.download = filename;
  link.rel = 'noopener';
  document.body.append(link);
  link.click();
  link.remove();
}

/** "CIFAR-10 sweep #2" → "cifar-10-sweep-2" */
export function fileSlug(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 60) || 'batchscope'
  );
}
