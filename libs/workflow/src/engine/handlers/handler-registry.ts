import { Inject, Injectable, Optional } from '@nestjs/common';
import { NODE_HANDLERS, type NodeHandler } from './node-handler.js';

/** The custom handlers this worker knows, by name. Two handlers with one name stop the boot. */
@Injectable()
export class HandlerRegistry {
  private readonly handlers = new Map<string, NodeHandler>();

  constructor(@Optional() @Inject(NODE_HANDLERS) handlers: NodeHandler[] = []) {
    for (const handler of handlers) {
      if (this.handlers.has(handler.name)) throw new Error(`Two node handlers are named ${handler.name}`);
      this.handlers.set(handler.name, handler);
    }
  }

  get(name: string): NodeHandler | undefined {
    return this.handlers.get(name);
  }

  names(): string[] {
    return [...this.handlers.keys()];
  }
}
