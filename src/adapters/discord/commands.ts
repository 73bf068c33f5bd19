import {
  ApplicationCommandType,
  ContextMenuCommandBuilder,
  PermissionFlagsBits,
  Routes,
  SlashCommandBuilder,
  type REST,
  type RESTPostAPIApplicationCommandsJSONBody,
} from 'discord.js';
import { SETTING_HELP, SETTING_KEYS } from '../../bot/settings.js';

/** Names of memeguard's application commands. */
export const COMMAND_NAMES = { check: 'check', checkMeme: 'Check meme', evaluate: 'evaluate', memeguard: 'memeguard' } as const;

/** The application commands memeguard registers at start-up. */
export function commandDefinitions(): RESTPostAPIApplicationCommandsJSONBody[] {
  const check = new SlashCommandBuilder()
    .setName(COMMAND_NAMES.check)
    .setDescription('Judge one meme: verdict, scores and why (only you see the answer)')
    .setDMPermission(false)
    .addAttachmentOption((o) => o.setName('image').setDescription('The meme to check').setRequired(true));

  const checkMeme = new ContextMenuCommandBuilder().setName(COMMAND_NAMES.checkMeme).setType(ApplicationCommandType.Message).setDMPermission(false);

  const evaluate = new SlashCommandBuilder()
    .setName(COMMAND_NAMES.evaluate)
    .setDescription('Evaluate the models on the labelled data set (administrators)')
    .setDMPermission(false)
    .setDefaultMemberPermissions(PermissionFlagsBits.Administrator)
    .addStringOption((o) => o.setName('split').setDescription('Split to evaluate, e.g. dev (default), dev_seen, test').setMaxLength(64))
    .addIntegerOption((o) => o.setName('limit').setDescription('Evaluate only the first N items').setMinValue(1).setMaxValue(100_000));

  const memeguard = new SlashCommandBuilder()
    .setName(COMMAND_NAMES.memeguard)
    .setDescription('memeguard settings for this server (administrators)')
    .setDMPermission(false)
    .setDefaultMemberPermissions(PermissionFlagsBits.Administrator)
    .addSubcommandGroup((g) =>
      g
        .setName('config')
        .setDescription('Show or change the settings')
        .addSubcommand((s) => s.setName('show').setDescription('Show the settings'))
        .addSubcommand((s) =>
          s
            .setName('set')
            .setDescription('Change one setting')
            .addStringOption((o) =>
              o
                .setName('key')
                .setDescription('The setting')
                .setRequired(true)
                .addChoices(...SETTING_KEYS.map((k) => ({ name: k, value: k }))),
            )
            .addStringOption((o) =>
              o
                .setName('value')
                .setDescription(`The value (${SETTING_HELP.threshold.slice(0, 40)}…, channel/role mentions, none)`)
                .setRequired(true)
                .setMaxLength(1000),
            ),
        ),
    );

  return [check.toJSON(), checkMeme.toJSON(), evaluate.toJSON(), memeguard.toJSON()];
}

/** Bulk-overwrite the commands: in one guild when `guildId` is given (instant), else globally. */
export async function registerCommands(rest: REST, applicationId: string, guildId?: string): Promise<number> {
  const body = commandDefinitions();
  const route = guildId ? Routes.applicationGuildCommands(applicationId, guildId) : Routes.applicationCommands(applicationId);
  const result = (await rest.put(route, { body })) as unknown[];
  return Array.isArray(result) ? result.length : body.length;
}
