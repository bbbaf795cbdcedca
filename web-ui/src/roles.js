// What each person's role may do, as the server's route table has it (src/http/server.cpp):
// kView (admin, manager, viewer) reads, kCampaigns (admin, manager) writes campaigns,
// kAdminister (admin) does everything else. The server refuses the rest anyway; the dashboard
// only leaves out what would be refused.
export const mayView = (role) => role === 'admin' || role === 'manager' || role === 'viewer';
export const mayWriteCampaigns = (role) => role === 'admin' || role === 'manager';
export const mayAdminister = (role) => role === 'admin';

// The screens in the navigation, in order, with who sees them.
export const screens = [
  { path: 'overview', title: 'Overview', allowed: mayView },
  { path: 'emails', title: 'Emails', allowed: mayView },
  { path: 'campaigns', title: 'Campaigns', allowed: mayView },
  { path: 'templates', title: 'Templates', allowed: mayView },
  { path: 'lists', title: 'Lists', allowed: mayView },
  { path: 'tasks', title: 'Tasks', allowed: mayView },
  { path: 'suppressions', title: 'Suppressions', allowed: mayView },
  { path: 'keys', title: 'Keys', allowed: mayView },
  { path: 'webhooks', title: 'Webhooks', allowed: mayView },
  { path: 'users', title: 'Users', allowed: mayAdminister },
  { path: 'audit', title: 'Audit', allowed: mayAdminister },
  { path: 'settings', title: 'Settings', allowed: mayAdminister },
];
