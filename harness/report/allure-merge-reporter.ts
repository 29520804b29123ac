// allure-playwright for `playwright merge-reports` (merge.config.ts). Note: under merge-reports
// Playwright calls onConfigure before any project is known (projects: []), and allure-playwright
// reads projects[0].outputDir there: the throw marked every merge as failed by a reporter error, so
// `hupbench merge` exited 1 however the tests went. The projects' folders only matter to it for
// snapshots and traces, which blob reports carry as attachments anyway.
import type { FullConfig } from '@playwright/test/reporter';
import { AllureReporter } from 'allure-playwright';

export default class AllureMergeReporter extends AllureReporter {
  override onConfigure(config: FullConfig): void {
    const none = { outputDir: '', snapshotDir: '' } as FullConfig['projects'][number];
    super.onConfigure(config.projects.length ? config : { ...config, projects: [none] });
  }
}
