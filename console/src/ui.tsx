import type { ComponentChildren } from 'preact';
import { useState } from 'preact/hooks';
import { describeError } from './api.js';
import { followLink } from './nav.js';
import { type AttributeKey, attributeLabel } from './query.js';

/** Small pieces every page uses. */

export function Link({
  href,
  children,
  title,
}: {
  href: string;
  children: ComponentChildren;
  title?: string;
}) {
  return (
    <a href={href} title={title} onClick={(event) => followLink(event, href)}>
      {children}
    </a>
  );
}

export function ErrorBanner({ error }: { error: unknown }) {
  return (
    <p class="banner error" role="alert">
      {describeError(error)}
    </p>
  );
}

export function CopyButton({ text, label = 'Copy' }: { text: string; label?: string }) {
  const [copied, setCopied] = useState<'yes' | 'failed' | undefined>();
  const copy = () =>
    navigator.clipboard.writeText(text).then(
      () => setCopied('yes'),
      () => setCopied('failed'),
    );
  return (
    <button type="button" class="small" onClick={copy}>
      {copied === 'yes' ? 'Copied' : copied === 'failed' ? 'Copy failed' : label}
    </button>
  );
}

/** A value that adds itself as a filter when clicked; long ones are cut by CSS, with the whole value as a title. */
export function FilterValue({
  value,
  attribute,
  onFilter,
}: {
  value: string;
  attribute: AttributeKey | undefined;
  onFilter: (attribute: AttributeKey, value: string) => void;
}) {
  if (attribute === undefined) {
    return (
      <span class="value" title={value}>
        {value}
      </span>
    );
  }
  return (
    <button
      type="button"
      class="value filter"
      title={`${value}\nFilter on ${attributeLabel(attribute)} = ${value}`}
      onClick={() => onFilter(attribute, value)}
    >
      {value}
    </button>
  );
}

/** An identifier (an ARN, a path) that may wrap after each ':' and '/', where a reader expects it to, not mid-word. */
export function Breakable({ text }: { text: string }) {
  return (
    <>
      {text
        .split(/(?<=[:/])/)
        .flatMap((part, index) => (index === 0 ? [part] : [<wbr key={`${index}`} />, part]))}
    </>
  );
}

export const formatTime = (iso: string | undefined): string =>
  iso === undefined ? '' : iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
