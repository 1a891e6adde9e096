/** How the Design view hands its current field issues to every FieldError below it. */
import { inject, provide, type InjectionKey, type Ref } from 'vue';
import type { IssuesByPath } from './field-issues';

const key: InjectionKey<Readonly<Ref<IssuesByPath>>> = Symbol('spec-issues');

export function provideIssues(issues: Readonly<Ref<IssuesByPath>>): void {
  provide(key, issues);
}

export function injectIssues(): Readonly<Ref<IssuesByPath>> | undefined {
  return inject(key, undefined);
}
