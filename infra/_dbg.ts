import { resolveSettings } from '#shared/campaign/settings.ts';
try { console.log(resolveSettings({ sender: 'not-an-email', projectId: 'demo' })); } catch (e) { console.log(String(e)); }
