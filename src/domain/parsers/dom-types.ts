// The small part of the DOM the parsers use. The project compiles without the "dom" lib (it is a
// server), and linkedom's own typings lean on it, so its documents are viewed through these
// structural types instead.

export interface DomNode {
  readonly nodeType: number;
  readonly nodeName: string;
  readonly textContent: string | null;
  readonly childNodes: ArrayLike<DomNode>;
}

export interface DomElement extends DomNode {
  readonly localName: string;
  readonly tagName: string;
  readonly children: ArrayLike<DomElement>;
  readonly outerHTML: string;
  getAttribute(name: string): string | null;
  querySelector(selector: string): DomElement | null;
  querySelectorAll(selector: string): ArrayLike<DomElement>;
  closest(selector: string): DomElement | null;
  cloneNode(deep: boolean): DomElement;
  remove(): void;
}

export interface DomDocument {
  readonly documentElement: DomElement;
  readonly body: DomElement | null;
  querySelector(selector: string): DomElement | null;
  getElementsByTagName(name: string): ArrayLike<DomElement>;
  cloneNode(deep: boolean): DomDocument;
}

export const TEXT_NODE = 3;
export const ELEMENT_NODE = 1;
